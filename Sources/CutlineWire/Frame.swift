/// The unit of the Cutline wire protocol (protocol/PROTOCOL.md §2).
///
///     u32 length | u8 version | u8 kind | u8 flags | u8 method length | u64 request id
///     | [u32 deadline ms] | method | payload
///
/// All integers are big-endian; `length` counts the bytes after itself.
public struct Frame: Sendable, Hashable {
    public static let currentVersion: UInt8 = 1
    /// Bytes from `version` through `request id`: the smallest legal `length`.
    public static let fixedHeaderLength = 12
    public static let lengthFieldSize = 4
    public static let defaultMaxLength = 16 * 1024 * 1024

    public var version: UInt8
    public var kind: FrameKind
    public var requestID: UInt64
    public var method: String
    /// How long the caller still waits, in milliseconds, when it sent the request.
    public var deadlineMilliseconds: UInt32?
    /// One CBOR data item, or empty.
    public var payload: [UInt8]

    public init(
        version: UInt8 = Frame.currentVersion,
        kind: FrameKind,
        requestID: UInt64,
        method: String = "",
        deadlineMilliseconds: UInt32? = nil,
        payload: [UInt8] = []
    ) {
        self.version = version
        self.kind = kind
        self.requestID = requestID
        self.method = method
        self.deadlineMilliseconds = deadlineMilliseconds
        self.payload = payload
    }

    /// Appends the encoded frame. The method name must be at most 255 UTF-8 bytes (callers validate names
    /// when they define methods; a longer one is a programming error).
    public func write(to out: inout [UInt8]) {
        var method = method
        method.withUTF8 { methodBytes in
            precondition(methodBytes.count <= 255, "method name longer than 255 bytes: \(self.method)")
            let length = Frame.fixedHeaderLength + (deadlineMilliseconds == nil ? 0 : 4) + methodBytes.count + payload.count
            out.reserveCapacity(out.count + Frame.lengthFieldSize + length)
            appendBigEndian(UInt32(length), &out)
            out.append(version)
            out.append(kind.rawValue)
            out.append(deadlineMilliseconds == nil ? 0 : FrameFlags.hasDeadline)
            out.append(UInt8(methodBytes.count))
            appendBigEndian(requestID, &out)
            if let deadlineMilliseconds { appendBigEndian(deadlineMilliseconds, &out) }
            out.append(contentsOf: methodBytes)
            out.append(contentsOf: payload)
        }
    }

    /// Bytes after the length field, as the peer's maximum counts them.
    public var encodedLength: Int {
        Frame.fixedHeaderLength + (deadlineMilliseconds == nil ? 0 : 4) + method.utf8.count + payload.count
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }
}

public enum FrameKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case request = 1
    case response = 2
    case error = 3
    case cancel = 4
    case ping = 5
    case pong = 6
    // Handshake (PROTOCOL.md §4): the only kinds accepted before authentication.
    case hello = 16
    case challenge = 17
    case auth = 18
    case welcome = 19

    public var description: String {
        switch self {
        case .request: "request"
        case .response: "response"
        case .error: "error"
        case .cancel: "cancel"
        case .ping: "ping"
        case .pong: "pong"
        case .hello: "hello"
        case .challenge: "challenge"
        case .auth: "auth"
        case .welcome: "welcome"
        }
    }
}

enum FrameFlags {
    static let hasDeadline: UInt8 = 0x01
    static let known: UInt8 = hasDeadline
}
