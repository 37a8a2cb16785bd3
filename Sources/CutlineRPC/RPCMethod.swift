import CutlineWire
public import Logging
import Synchronization

/// A method of a service, typed by its request and response, so a call is checked at both ends.
/// Names are `service.method` in lower case (PROTOCOL.md §3).
public struct RPCMethod<Request: Codable & Sendable, Response: Codable & Sendable>: Sendable {
    public let name: String

    public init(_ name: String) {
        precondition(RPCMethodName.isValid(name), "invalid RPC method name \(name)")
        self.name = name
    }
}

enum RPCMethodName {
    static func isValid(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return name.utf8.count <= 255 && parts.count == 2
            && parts.allSatisfy { part in
                !part.isEmpty && part.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
            }
    }
}

/// What a handler knows about the call it is serving.
public struct RPCContext: Sendable {
    public let requestID: UInt64
    public let method: String
    public let peer: String
    /// When the caller stops waiting, if it said.
    public let deadline: ContinuousClock.Instant?
    /// The connection's logger; `logger` adds this call's metadata when a handler asks for it, so
    /// calls that log nothing pay nothing.
    let baseLogger: Logger
    public let server: RPCServerStats

    /// Carries `peer`, `rpc_method` and `rpc_request_id`; handlers add `job_id` once they know it.
    public var logger: Logger {
        var logger = baseLogger
        logger[metadataKey: "rpc_method"] = "\(method)"
        logger[metadataKey: "rpc_request_id"] = "\(requestID)"
        return logger
    }
}

/// Live figures of a server, for `health` and metrics.
public final class RPCServerStats: Sendable {
    public let name: String
    public let version: String
    public let startedAt = ContinuousClock.now
    private let inFlightCount = Atomic<Int>(0)

    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }

    public var inFlight: Int { inFlightCount.load(ordering: .relaxed) }
    public var uptime: Duration { ContinuousClock.now - startedAt }

    func began() { inFlightCount.add(1, ordering: .relaxed) }
    func ended() { inFlightCount.subtract(1, ordering: .relaxed) }
}

/// Maps method names to handlers. Built once at start-up, then shared read-only by all connections.
public struct RPCRouter: Sendable {
    typealias Handler = @Sendable (_ payload: [UInt8], _ context: RPCContext) async throws -> [UInt8]
    private(set) var handlers: [String: Handler] = [:]

    public init() {}

    public mutating func register<Request, Response>(
        _ method: RPCMethod<Request, Response>,
        _ handler: @escaping @Sendable (Request, RPCContext) async throws -> Response
    ) {
        precondition(handlers[method.name] == nil, "RPC method \(method.name) registered twice")
        handlers[method.name] = { payload, context in
            let request: Request
            do {
                request = try CBORDecoder().decode(Request.self, from: payload)
            } catch {
                throw RPCError.badRequest("\(method.name): request is not a valid \(Request.self): \(describeDecodingFailure(error))")
            }
            let response = try await handler(request, context)
            return try CBOREncoder().encode(response)
        }
    }

    public var methodNames: [String] { handlers.keys.sorted() }
}

/// One readable line for a decoding failure: where in the value, and what was wrong.
func describeDecodingFailure(_ error: any Error) -> String {
    guard let decoding = error as? DecodingError else { return "\(error)" }
    func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    switch decoding {
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
        return "at \(path(context.codingPath)): \(context.debugDescription)"
    case .keyNotFound(let key, let context):
        return "at \(path(context.codingPath)): missing \"\(key.stringValue)\""
    @unknown default:
        return "\(decoding)"
    }
}
