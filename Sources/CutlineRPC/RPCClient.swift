import CutlineTracing
public import CutlineWire
import Foundation
public import Logging
import Synchronization
import Tracing

public struct RPCClientConfiguration: Sendable {
    public var address: SocketAddress
    public var secret: RPCSecret
    /// Who is calling, told to the server in the handshake (for its logs).
    public var clientName: String
    public var maxFrameLength: Int = Frame.defaultMaxLength
    public var connectTimeout: Duration = .seconds(5)
    /// Deadline of a call that names none.
    public var defaultTimeout: Duration = .seconds(30)
    /// Reconnect backoff: doubles from `initial` up to `max`, each wait jittered to 50–100 %.
    public var backoffInitial: Duration = .milliseconds(50)
    public var backoffMax: Duration = .seconds(2)
    /// Bounds a write the server does not read, and the rest of a frame once it has begun.
    public var ioTimeout: Duration = .seconds(10)
    /// How long a call waits for a connection (reconnecting with backoff) before it fails `unavailable`;
    /// nil: as long as its deadline allows. A caller that answers people sets it short, so a service
    /// that is down is said at once rather than after the whole deadline.
    public var connectBudget: Duration? = nil

    public init(address: SocketAddress, secret: RPCSecret, clientName: String) {
        self.address = address
        self.secret = secret
        self.clientName = clientName
    }
}

/// A client of one service. One connection carries every concurrent call; it is opened on first use
/// and reopened (with exponential backoff and jitter) after it is lost. Every call has a deadline, can
/// be cancelled, and ends with a response or an `RPCError`.
/// What can call a service's methods: one connection (`RPCClient`) or a pool of a service's instances.
public protocol RPCCaller: Sendable {
    func call<Request, Response>(_ method: RPCMethod<Request, Response>, _ request: Request, timeout: Duration?) async throws -> Response
}

extension RPCError {
    /// The `detail` of an `unavailable` call that never reached the server: nothing was sent.
    public static let notConnected = "not_connected"
    /// The `detail` of an `unavailable` call whose connection was lost before its answer came.
    public static let connectionLost = "connection_lost"
}

public final class RPCClient: RPCCaller, Sendable {
    public let configuration: RPCClientConfiguration
    let logger: Logger

    private enum Connection {
        case none
        case connecting(Task<ClientConnection, any Error>)
        case connected(ClientConnection)
    }

    private struct State {
        var connection: Connection = .none
        var closed = false
    }

    private let state = Mutex(State())

    public init(configuration: RPCClientConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "rpc_server"] = "\(configuration.address)"
        self.logger = logger
    }

    deinit { close() }

    /// Calls `method` and returns its response. Throws `RPCError` only: the server's own error, or
    /// `deadline_exceeded`, `cancelled`, `unavailable` (no connection within the deadline, or it was
    /// lost mid-call), `unauthenticated`/`unsupported_version` (the handshake was refused).
    public func call<Request, Response>(
        _ method: RPCMethod<Request, Response>, _ request: Request, timeout: Duration? = nil
    ) async throws -> Response {
        let deadline = ContinuousClock.now + (timeout ?? configuration.defaultTimeout)
        let payload: [UInt8]
        do {
            payload = try CBOREncoder().encode(request)
        } catch {
            throw RPCError.badRequest("\(method.name): cannot encode \(Request.self): \(error)")
        }
        // The name was checked when the method was defined. The call is a client span of the caller's
        // trace, sent as the frame's trace context, so the server's span and log lines join it.
        let reply = try await withSpan(method.name, ofKind: .client) { span in
            span.attributes["rpc.system"] = "cutline"
            span.attributes["server.address"] = "\(configuration.address)"
            return try await exchange(
                method: method.name, payload: payload, deadline: deadline,
                trace: TraceHeaders.currentTraceparent.flatMap(TraceContextField.init(traceparent:)))
        }
        switch reply.kind {
        case .response:
            do {
                return try CBORDecoder().decode(Response.self, from: reply.payload)
            } catch {
                throw RPCError.internalError(
                    "\(method.name): response from \(configuration.address) is not a valid \(Response.self): \(describeDecodingFailure(error))")
            }
        default:
            throw ClientConnection.decodeError(reply)
        }
    }

    /// Sends raw payload bytes; for benchmarks and protocol tests.
    public func send(method: String, payload: [UInt8], deadline: ContinuousClock.Instant) async throws -> Frame {
        guard RPCMethodName.isValid(method) else {
            throw RPCError.badRequest("\"\(method)\" is not a method name (expected service.method in lower case)")
        }
        return try await exchange(method: method, payload: payload, deadline: deadline, trace: nil)
    }

    private func exchange(method: String, payload: [UInt8], deadline: ContinuousClock.Instant, trace: TraceContextField?) async throws -> Frame {
        // Checked here so one oversized call fails alone instead of making the server drop the
        // connection every other call shares.
        let length = Frame.fixedHeaderLength + 4 + (trace == nil ? 0 : TraceContextField.size) + method.utf8.count + payload.count
        guard length <= configuration.maxFrameLength else {
            throw RPCError(.resourceExhausted, "\(method): the request is \(length) bytes, over the \(configuration.maxFrameLength)-byte frame limit")
        }
        var attempts = 0
        while true {
            let connectBy = configuration.connectBudget.map { min(deadline, ContinuousClock.now + $0) } ?? deadline
            let connection = try await connection(until: connectBy)
            do {
                return try await connection.exchange(method: method, payload: payload, deadline: deadline, trace: trace)
            } catch let lost as ConnectionLost {
                // A server that announced it was going away never started the calls it left unanswered,
                // so they are safe to send again on a new connection.
                attempts += 1
                guard lost.neverStarted, attempts < 3 else {
                    throw RPCError.unavailable("connection to \(configuration.address) lost: \(lost.reason)", detail: RPCError.connectionLost)
                }
                logger.debug("resending a call the server never started", metadata: ["reason": "\(lost.reason)"])
            }
        }
    }

    /// The name the server gave in the handshake, once connected.
    public var serverName: String? {
        state.withLock { state in
            if case .connected(let connection) = state.connection { return connection.serverName }
            return nil
        }
    }

    /// Closes the connection; calls in flight fail with `unavailable`, later calls too.
    public func close() {
        let current = state.withLock { state -> Connection in
            state.closed = true
            defer { state.connection = .none }
            return state.connection
        }
        switch current {
        case .connected(let connection): connection.close(reason: "the client was closed")
        case .connecting(let task): task.cancel()
        case .none: break
        }
    }

    // MARK: Connecting

    private func connection(until deadline: ContinuousClock.Instant) async throws -> ClientConnection {
        var backoff = configuration.backoffInitial
        var lastError: RPCError?
        while true {
            try Task.checkCancellation()
            do {
                return try await attempt()
            } catch let refusal as HandshakeRefusal {
                // §4: the server said why it refuses; only "busy or stopping" may pass by waiting.
                guard refusal.error.isTransient else { throw refusal.error }
                lastError = refusal.error
            } catch let error as RPCError where error.code == .unauthenticated || error.code == .unsupportedVersion {
                throw error
            } catch is CancellationError {
                throw RPCError.cancelled("call cancelled while connecting to \(configuration.address)")
            } catch let error as RPCError {
                lastError = error
            } catch {
                lastError = RPCError.unavailable("cannot reach \(configuration.address): \(error)")
            }
            let wait = backoff * Double.random(in: 0.5...1.0)
            guard ContinuousClock.now + wait < deadline else {
                throw RPCError.unavailable(
                    "\(lastError?.message ?? "cannot reach \(configuration.address)") (gave up waiting for a connection)",
                    detail: RPCError.notConnected)
            }
            logger.debug("reconnecting after backoff", metadata: ["wait": "\(wait)", "error": "\(lastError.map { "\($0)" } ?? "")"])
            do {
                try await Task.sleep(for: wait)
            } catch {
                throw RPCError.cancelled("call cancelled while waiting to reconnect to \(configuration.address)")
            }
            backoff = min(backoff * 2, configuration.backoffMax)
        }
    }

    /// One connect-and-handshake attempt, shared by every call that needs a connection meanwhile.
    private func attempt() async throws -> ClientConnection {
        enum Step {
            case use(ClientConnection)
            case wait(Task<ClientConnection, any Error>)
        }
        let step = try state.withLock { state throws -> Step in
            guard !state.closed else { throw RPCError.unavailable("the client for \(configuration.address) is closed") }
            switch state.connection {
            case .connected(let connection) where connection.isOpen:
                return .use(connection)
            case .connecting(let task):
                return .wait(task)
            default:
                let configuration = self.configuration
                let logger = self.logger
                let task = Task {
                    try await onDedicatedThread(name: "rpc-connect") {
                        try ClientConnection.open(configuration: configuration, logger: logger)
                    }
                }
                state.connection = .connecting(task)
                return .wait(task)
            }
        }
        switch step {
        case .use(let connection):
            return connection
        case .wait(let task):
            do {
                let connection = try await task.value
                state.withLock { state in
                    if case .connecting = state.connection { state.connection = .connected(connection) }
                }
                return connection
            } catch {
                state.withLock { state in
                    if case .connecting = state.connection { state.connection = .none }
                }
                throw error
            }
        }
    }
}

/// An authenticated connection to a server, with its reader thread matching replies to calls.
final class ClientConnection: Sendable {
    let connection: FramedConnection
    let serverName: String
    /// Whether the server reads a trace context on requests (its challenge said so).
    let sendsTraceContext: Bool
    private let logger: Logger
    private let nextRequestID = Atomic<UInt64>(1)
    private let watcher = DeadlineWatcher()

    private struct Pending {
        var calls: [UInt64: CheckedContinuation<Frame, any Error>] = [:]
        var closedReason: String?
        /// The server said (an `unavailable` error frame with request id 0) that it reads no more requests.
        var goingAway = false
    }

    private let pending = Mutex(Pending())

    private init(connection: FramedConnection, serverName: String, sendsTraceContext: Bool, logger: Logger) {
        self.connection = connection
        self.serverName = serverName
        self.sendsTraceContext = sendsTraceContext
        self.logger = logger
    }

    var isOpen: Bool { pending.withLock { $0.closedReason == nil } }

    /// Connects and runs the handshake (PROTOCOL.md §4), blocking; call it from a dedicated thread.
    static func open(configuration: RPCClientConfiguration, logger: Logger) throws -> ClientConnection {
        let address = configuration.address
        let socket = try Socket.connect(to: address, timeoutMilliseconds: configuration.connectTimeout.clampedMilliseconds32)
        let framed = FramedConnection(
            socket: socket, peer: address.description, maxFrameLength: configuration.maxFrameLength,
            sendTimeoutMilliseconds: Int(configuration.ioTimeout.milliseconds)
        )
        var decoder = FrameDecoder(maxFrameLength: configuration.maxFrameLength)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        var handedOver = false
        defer {
            scratch.deallocate()
            if !handedOver {
                framed.finishWriting()
                socket.close()
            }
        }
        let timeout = configuration.connectTimeout.clampedMilliseconds32

        func expect(_ kind: FrameKind) throws -> Frame {
            switch try framed.readFrame(decoder: &decoder, scratch: scratch, idleMilliseconds: timeout, frameMilliseconds: timeout) {
            case .frame(let frame) where frame.kind == kind: return frame
            case .frame(let frame) where frame.kind == .error: throw HandshakeRefusal(error: decodeError(frame))
            case .frame(let frame): throw RPCError.unavailable("\(address) answered the handshake with a \(frame.kind) frame, not \(kind)")
            case .timedOut: throw RPCError.unavailable("\(address) did not answer the handshake within \(timeout) ms")
            case .closed: throw RPCError.unavailable("\(address) closed the connection during the handshake")
            }
        }

        let clientNonce = Handshake.freshNonce()
        let hello = HelloMessage(versions: Handshake.supportedVersions, nonce: clientNonce, peer: configuration.clientName)
        framed.send(Frame(kind: .hello, requestID: 0, payload: try CBOREncoder().encode(hello)))
        let challengeFrame = try expect(.challenge)
        guard let challenge = try? CBORDecoder().decode(ChallengeMessage.self, from: challengeFrame.payload),
            challenge.nonce.count == Handshake.nonceLength, Handshake.supportedVersions.contains(challenge.version)
        else {
            throw RPCError.unavailable("\(address) sent a malformed challenge (is it a Cutline \(Frame.currentVersion) service?)")
        }
        let proof = Handshake.proof(
            secret: configuration.secret, role: .client, version: challenge.version,
            clientNonce: clientNonce, serverNonce: challenge.nonce)
        framed.send(Frame(kind: .auth, requestID: 0, payload: try CBOREncoder().encode(ProofMessage(proof: proof))))
        let welcomeFrame = try expect(.welcome)
        guard let welcome = try? CBORDecoder().decode(ProofMessage.self, from: welcomeFrame.payload),
            Handshake.verify(
                welcome.proof, secret: configuration.secret, role: .server, version: challenge.version,
                clientNonce: clientNonce, serverNonce: challenge.nonce)
        else {
            throw RPCError.unauthenticated("\(address) could not prove it holds the shared secret (check CUTLINE_RPC_SECRET on both ends)")
        }

        var serverLogger = logger
        serverLogger[metadataKey: "rpc_peer_name"] = "\(challenge.peer)"
        let client = ClientConnection(
            connection: framed, serverName: challenge.peer,
            sendsTraceContext: challenge.features?.contains(Handshake.traceContextFeature) ?? false, logger: serverLogger)
        client.watcher.start(name: "rpc-call-dlines") { [weak client] requestID in
            guard let client, client.finish(requestID, throwing: RPCError.deadlineExceeded("the call got no answer before its deadline")) else {
                return
            }
            client.connection.send(Frame(kind: .cancel, requestID: requestID))
        }
        handedOver = true
        let reader = Thread { [decoder] in
            Thread.current.name = "rpc-client-read"
            var decoder = decoder
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
            defer { buffer.deallocate() }
            client.readLoop(&decoder, buffer, frameTimeout: configuration.ioTimeout.clampedMilliseconds32)
        }
        reader.start()
        serverLogger.debug("connected")
        return client
    }

    static func decodeError(_ frame: Frame) -> RPCError {
        (try? CBORDecoder().decode(RPCError.self, from: frame.payload))
            ?? RPCError.internalError("the server sent an unreadable error frame (\(frame.payload.count) bytes)")
    }

    func exchange(method: String, payload: [UInt8], deadline: ContinuousClock.Instant, trace: TraceContextField?) async throws -> Frame {
        let requestID = nextRequestID.add(1, ordering: .relaxed).oldValue
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { throw RPCError.deadlineExceeded("\(method): deadline passed before the call was sent") }
        let frame = Frame(
            kind: .request, requestID: requestID, method: method,
            deadlineMilliseconds: UInt32(clamping: max(1, remaining.milliseconds)), traceContext: sendsTraceContext ? trace : nil,
            payload: payload)
        watcher.add(requestID, deadline: deadline)
        defer { watcher.remove(requestID) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let refusal = pending.withLock { pending -> ConnectionLost? in
                    if let reason = pending.closedReason { return ConnectionLost(reason: reason, neverStarted: true) }
                    pending.calls[requestID] = continuation
                    return nil
                }
                if let refusal {
                    // Not sent at all, so it can go on another connection.
                    continuation.resume(throwing: refusal)
                    return
                }
                if Task.isCancelled {
                    finish(requestID, throwing: RPCError.cancelled("\(method) was cancelled"))
                    return
                }
                // The timer may have fired before the call was registered.
                if ContinuousClock.now >= deadline {
                    finish(requestID, throwing: RPCError.deadlineExceeded("\(method) got no answer before its deadline"))
                    return
                }
                if !connection.send(frame, coalesce: pending.withLock { $0.calls.count } > 1) {
                    if let continuation = pending.withLock({ $0.calls.removeValue(forKey: requestID) }) {
                        continuation.resume(throwing: ConnectionLost(reason: "connection to \(connection.peer) is closed", neverStarted: true))
                    }
                }
            }
        } onCancel: {
            if finish(requestID, throwing: RPCError.cancelled("\(method) was cancelled")) {
                connection.send(Frame(kind: .cancel, requestID: requestID))
            }
        }
    }

    /// Ends a pending call; whoever removes it resumes it, so each call resumes exactly once.
    @discardableResult
    func finish(_ requestID: UInt64, throwing error: RPCError) -> Bool {
        guard let continuation = pending.withLock({ $0.calls.removeValue(forKey: requestID) }) else { return false }
        continuation.resume(throwing: error)
        return true
    }

    func close(reason: String) {
        pending.withLock { if $0.closedReason == nil { $0.closedReason = reason } }
        connection.socket.shutdownBoth()
    }

    private func readLoop(_ decoder: inout FrameDecoder, _ scratch: UnsafeMutableRawBufferPointer, frameTimeout: Int32) {
        var reason = "the server closed the connection"
        do {
            loop: while true {
                switch try connection.readFrame(decoder: &decoder, scratch: scratch, idleMilliseconds: -1, frameMilliseconds: frameTimeout) {
                case .frame(let frame):
                    switch frame.kind {
                    case .response, .error:
                        if frame.requestID == 0 {
                            // A connection-level error: the server reads nothing more and closes once
                            // the calls it started are answered. New calls must use a new connection.
                            let error = Self.decodeError(frame)
                            pending.withLock { pending in
                                if pending.closedReason == nil { pending.closedReason = error.message }
                                if error.code == .unavailable { pending.goingAway = true }
                            }
                            continue loop
                        }
                        pending.withLock { $0.calls.removeValue(forKey: frame.requestID) }?.resume(returning: frame)
                    case .ping:
                        connection.send(Frame(kind: .pong, requestID: frame.requestID, payload: frame.payload))
                    default:
                        continue loop
                    }
                case .timedOut:
                    continue loop
                case .closed:
                    break loop
                }
            }
        } catch {
            reason = "\(error)"
        }
        let (calls, goingAway) = pending.withLock { pending -> ([CheckedContinuation<Frame, any Error>], Bool) in
            if pending.closedReason == nil { pending.closedReason = reason }
            reason = pending.closedReason!
            defer { pending.calls = [:] }
            return (Array(pending.calls.values), pending.goingAway)
        }
        logger.debug("connection closed", metadata: ["reason": "\(reason)"])
        for call in calls {
            call.resume(throwing: ConnectionLost(reason: reason, neverStarted: goingAway))
        }
        watcher.stop()
        connection.finishWriting()
        connection.socket.close()
    }
}

/// The server refused the handshake with an error frame; `error` is its code (unknown codes read as
/// `internal`, §6) and message.
struct HandshakeRefusal: Error, Sendable {
    let error: RPCError
}

extension RPCError {
    /// Codes that say "not now" rather than "not this": a server stopping or at its connection limit.
    var isTransient: Bool { code == .unavailable || code == .resourceExhausted }
}

/// A call that ended because its connection did. `neverStarted` is true when the server had announced
/// it was going away (it reads no requests after that), or the call was never sent.
struct ConnectionLost: Error, Sendable {
    let reason: String
    let neverStarted: Bool
}
