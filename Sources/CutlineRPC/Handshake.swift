import Crypto
import CutlineWire
public import Foundation

/// The shared secret both ends prove they hold (PROTOCOL.md §4). At least 16 bytes.
public struct RPCSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    static let minimumLength = 16
    let key: SymmetricKey

    /// Never the secret itself, however it is printed.
    public var description: String { "RPCSecret(<redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: []) }

    /// `origin` names where the secret came from, so an error says which setting to fix.
    public init(_ bytes: some DataProtocol, origin: String) throws(RPCConfigurationError) {
        let data = Data(bytes)
        guard data.count >= Self.minimumLength else {
            throw RPCConfigurationError(
                "\(origin) is \(data.count) bytes; the RPC secret must be at least \(Self.minimumLength) bytes (e.g. 64 hex characters from `openssl rand -hex 32`)"
            )
        }
        key = SymmetricKey(data: data)
    }

    /// Reads a secret file; surrounding whitespace (a trailing newline) is not part of the secret.
    public init(contentsOfFile path: String, origin: String) throws(RPCConfigurationError) {
        let contents: String
        guard FileManager.default.fileExists(atPath: path) else {
            throw RPCConfigurationError(
                "\(origin): no secret file at \(path). Point CUTLINE_DATA_DIR (--data-dir) at the services' data directory (scripts/run uses ./.data), or set CUTLINE_RPC_SECRET_FILE or CUTLINE_RPC_SECRET"
            )
        }
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw RPCConfigurationError("\(origin): cannot read secret file \(path): \(error.localizedDescription)")
        }
        try self.init(Data(contents.trimmingCharacters(in: .whitespacesAndNewlines).utf8), origin: "\(origin) (\(path))")
    }
}

/// Messages of the handshake, carried as CBOR payloads of hello/challenge/auth/welcome frames.
struct HelloMessage: Codable, Sendable {
    var versions: [UInt8]
    var nonce: Data
    var peer: String
}

struct ChallengeMessage: Codable, Sendable {
    var version: UInt8
    var nonce: Data
    var peer: String
    /// The optional parts of the protocol this server reads (PROTOCOL.md §4); absent from older servers.
    var features: [String]? = nil
}

struct ProofMessage: Codable, Sendable {
    var proof: Data
}

enum Handshake {
    static let nonceLength = 32
    /// Handshake messages are a few dozen bytes; anything larger before authentication is refused.
    static let maxFrameLength = 4096
    static let supportedVersions: [UInt8] = [Frame.currentVersion]
    /// A trace context on request frames (flag bit 1): sent only to a server that lists it, since an
    /// older one closes the connection on a flag it does not know.
    static let traceContextFeature = "trace_context"
    static let features = [traceContextFeature]

    static func freshNonce() -> Data {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<nonceLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// HMAC-SHA256(secret, label ‖ 0x00 ‖ version ‖ client nonce ‖ server nonce). The labels differ per
    /// direction, so neither side's proof can be replayed as the other's.
    static func proof(secret: RPCSecret, role: Role, version: UInt8, clientNonce: Data, serverNonce: Data) -> Data {
        var message = Data(role.label.utf8)
        message.append(0)
        message.append(version)
        message.append(clientNonce)
        message.append(serverNonce)
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: secret.key))
    }

    static func verify(_ candidate: Data, secret: RPCSecret, role: Role, version: UInt8, clientNonce: Data, serverNonce: Data) -> Bool {
        var message = Data(role.label.utf8)
        message.append(0)
        message.append(version)
        message.append(clientNonce)
        message.append(serverNonce)
        // swift-crypto compares in constant time.
        return HMAC<SHA256>.isValidAuthenticationCode(candidate, authenticating: message, using: secret.key)
    }

    enum Role {
        case client, server
        var label: String {
            switch self {
            case .client: "cutline-rpc client proof"
            case .server: "cutline-rpc server proof"
            }
        }
    }
}
