import CutlineTracing
import CutlineWire
import Foundation
import Logging
import Metrics
import Synchronization
import Tracing

/// One accepted connection: its reader thread authenticates the peer, then reads frames and starts a
/// task per request, never more than `maxInFlightPerConnection` at once.
final class ServerConnection: Sendable {
    private let server: RPCServer
    private let connection: FramedConnection
    private let logger: Logger
    private let permits: DispatchSemaphore
    private struct Call {
        var task: Task<Void, Never>?
        var token: UInt64
        /// Set once an answer is queued (the handler's, or deadline_exceeded from the watcher).
        var answered = false
    }

    /// Calls by request id; `token` tells a call from a later one that reuses its id.
    private let tasks = Mutex<[UInt64: Call]>([:])
    private let nextToken = Atomic<UInt64>(1)
    private let watcher: DeadlineWatcher
    private let draining = Atomic<Bool>(false)
    /// Calls whose answer has not been queued yet (a call leaves `tasks` just before that).
    private let running = Atomic<Int>(0)

    init(server: RPCServer, socket: Socket, peer: String) {
        self.server = server
        let configuration = server.configuration
        self.connection = FramedConnection(
            socket: socket, peer: peer, maxFrameLength: configuration.maxFrameLength,
            sendTimeoutMilliseconds: Int(configuration.readTimeout.milliseconds)
        )
        var logger = server.logger
        logger[metadataKey: "peer"] = "\(peer)"
        self.logger = logger
        self.permits = DispatchSemaphore(value: configuration.maxInFlightPerConnection)
        self.watcher = DeadlineWatcher()
    }

    func start() {
        watcher.start(name: "rpc-deadlines") { [self] token in deadlinePassed(token) }
        let thread = Thread { [self] in
            Thread.current.name = "rpc-conn"
            serve()
        }
        thread.start()
    }

    var peer: String { connection.peer }

    /// Ends a connection still in the handshake (its slot is wanted): its reader stops at once.
    func abandonHandshake() {
        connection.socket.shutdownRead()
    }

    /// Used when the server is already stopping: one error frame, then close.
    func refuseAndClose(_ error: RPCError) {
        sendError(error, requestID: 0)
        close()
    }

    /// Stop reading new requests; calls in flight go on and their answers are still sent.
    func beginDraining() {
        draining.store(true, ordering: .releasing)
        // Going away first: shutting the read side ends the reader, which closes the write side, and a
        // client that saw only end-of-stream could not tell "never started" from "lost" (§3.9).
        goAway("\(server.configuration.serviceName) is shutting down")
        connection.socket.shutdownRead()
    }

    /// Tells the client this connection reads no more requests (an `unavailable` error frame with
    /// request id 0): it sends new calls on a new connection, and may resend unanswered ones.
    private func goAway(_ reason: String) {
        sendError(.unavailable(reason), requestID: 0)
    }

    func cancelAll() {
        tasks.withLock { tasks in for call in tasks.values { call.task?.cancel() } }
    }

    private func close() {
        watcher.stop()
        connection.finishWriting()
        connection.socket.close()
        server.connectionClosed(self)
    }

    // MARK: Reader thread

    private func serve() {
        let configuration = server.configuration
        var decoder = FrameDecoder(maxFrameLength: configuration.maxFrameLength)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer {
            scratch.deallocate()
            waitForInFlight()
            close()
        }
        do {
            guard try authenticate(&decoder, scratch) else { return }
            if let refusal = server.admit(self) {
                logger.warning("closing connection", metadata: ["error": "\(refusal)"])
                sendError(refusal, requestID: 0)
                return
            }
            logger.debug("peer authenticated")
            try readRequests(&decoder, scratch)
        } catch  where draining.load(ordering: .acquiring) {
            // This server shut the read side itself (shutdown): whatever the reader was in the middle
            // of, the peer has its going-away frame and nothing else is true to tell it.
            logger.debug("connection closed for shutdown", metadata: ["while": "\(error)"])
        } catch let error as FrameError {
            logger.warning("closing connection: bad frame", metadata: ["error": "\(error)"])
            sendError(error.isUnsupportedVersion ? .unsupportedVersion(error.description) : .badRequest(error.description), requestID: 0)
        } catch let error as RPCError {
            logger.warning("closing connection", metadata: ["error": "\(error)"])
            sendError(error, requestID: 0)
        } catch {
            logger.warning("closing connection", metadata: ["error": "\(error)"])
        }
    }

    /// PROTOCOL.md §4: hello → challenge → auth → welcome. Returns false (after telling the peer why)
    /// if the peer is refused; nothing reaches a handler before this succeeds.
    private func authenticate(_ decoder: inout FrameDecoder, _ scratch: UnsafeMutableRawBufferPointer) throws -> Bool {
        let configuration = server.configuration
        let timeout = configuration.handshakeTimeout.clampedMilliseconds32
        // The whole handshake has one deadline and small frames: an unauthenticated peer gets
        // neither time nor memory to spare.
        let deadline = ContinuousClock.now + configuration.handshakeTimeout
        decoder.maxFrameLength = Handshake.maxFrameLength
        defer { decoder.maxFrameLength = configuration.maxFrameLength }

        guard let helloFrame = try readHandshakeFrame(&decoder, scratch, timeout: timeout, deadline: deadline, expected: .hello) else { return false }
        guard let hello = try? CBORDecoder().decode(HelloMessage.self, from: helloFrame.payload),
            hello.nonce.count == Handshake.nonceLength
        else {
            refuse(.badRequest("hello payload is malformed (expected versions, a 32-byte nonce and a peer name)"))
            return false
        }
        guard let version = hello.versions.filter(Handshake.supportedVersions.contains).max() else {
            refuse(.unsupportedVersion("client offers protocol versions \(hello.versions); this server speaks \(Handshake.supportedVersions)"))
            return false
        }
        let serverNonce = Handshake.freshNonce()
        let challenge = ChallengeMessage(version: version, nonce: serverNonce, peer: configuration.serviceName, features: Handshake.features)
        connection.send(Frame(kind: .challenge, requestID: 0, payload: try CBOREncoder().encode(challenge)))

        guard let authFrame = try readHandshakeFrame(&decoder, scratch, timeout: timeout, deadline: deadline, expected: .auth) else { return false }
        guard let auth = try? CBORDecoder().decode(ProofMessage.self, from: authFrame.payload),
            Handshake.verify(
                auth.proof, secret: configuration.secret, role: .client, version: version,
                clientNonce: hello.nonce, serverNonce: serverNonce)
        else {
            refuse(.unauthenticated("the client's proof does not match this server's secret (check CUTLINE_RPC_SECRET on both ends)"))
            return false
        }
        let proof = Handshake.proof(
            secret: configuration.secret, role: .server, version: version,
            clientNonce: hello.nonce, serverNonce: serverNonce)
        connection.send(Frame(kind: .welcome, requestID: 0, payload: try CBOREncoder().encode(ProofMessage(proof: proof))))
        return true
    }

    private func readHandshakeFrame(
        _ decoder: inout FrameDecoder, _ scratch: UnsafeMutableRawBufferPointer, timeout: Int32,
        deadline: ContinuousClock.Instant, expected: FrameKind
    ) throws -> Frame? {
        let outcome: FramedConnection.ReadOutcome
        do {
            outcome = try connection.readFrame(
                decoder: &decoder, scratch: scratch, idleMilliseconds: timeout,
                frameMilliseconds: timeout, deadline: deadline)
        } catch let error as RPCError where error.code == .deadlineExceeded {
            refuse(.unauthenticated("handshake not completed within \(timeout) ms"))
            return nil
        }
        switch outcome {
        case .frame(let frame) where frame.kind == expected && frame.requestID != 0:
            refuse(.badRequest("a \(expected) frame must have request id 0 (it has \(frame.requestID))"))
        case .frame(let frame) where frame.kind == expected:
            return frame
        case .frame(let frame):
            refuse(.unauthenticated("expected a \(expected) frame during the handshake, got \(frame.kind)"))
        case .timedOut:
            refuse(.unauthenticated("handshake not completed within \(timeout) ms"))
        case .closed:
            logger.debug("peer closed during handshake")
        }
        return nil
    }

    private func refuse(_ error: RPCError) {
        logger.warning("peer refused", metadata: ["error": "\(error)"])
        sendError(error, requestID: 0)
    }

    private func readRequests(_ decoder: inout FrameDecoder, _ scratch: UnsafeMutableRawBufferPointer) throws {
        let configuration = server.configuration
        let idle = configuration.idleTimeout.clampedMilliseconds32
        let frameTimeout = configuration.readTimeout.clampedMilliseconds32
        while true {
            switch try connection.readFrame(decoder: &decoder, scratch: scratch, idleMilliseconds: idle, frameMilliseconds: frameTimeout) {
            case .closed:
                if !draining.load(ordering: .acquiring) {
                    // Nobody is left to read the answers.
                    cancelAll()
                }
                return
            case .timedOut:
                if running.load(ordering: .relaxed) == 0 {
                    logger.debug("closing idle connection")
                    goAway("connection idle for \(configuration.idleTimeout); reconnect")
                    return
                }
            case .frame(let frame):
                try handle(frame)
            }
        }
    }

    private func handle(_ frame: Frame) throws {
        switch frame.kind {
        case .request:
            guard frame.requestID != 0 else { throw RPCError.badRequest("request id 0 is reserved for connection-level frames") }
            // The caller's clock started when it sent the request, not when a slot frees up here.
            let deadline = frame.deadlineMilliseconds.map { ContinuousClock.now + .milliseconds(Int64($0)) }
            // Backpressure: block this reader (not a pool thread) until a slot frees.
            permits.wait()
            try startCall(frame, deadline: deadline)
        case .cancel:
            tasks.withLock { $0[frame.requestID]?.task }?.cancel()
        case .ping:
            connection.send(Frame(kind: .pong, requestID: frame.requestID, payload: frame.payload))
        case .pong:
            break
        default:
            throw RPCError.badRequest("unexpected \(frame.kind) frame after the handshake")
        }
    }

    private func startCall(_ frame: Frame, deadline: ContinuousClock.Instant?) throws {
        let requestID = frame.requestID
        guard let handler = server.router.handlers[frame.method] else {
            permits.signal()
            sendError(.init(.unimplemented, "\(server.configuration.serviceName) has no method \"\(frame.method)\""), requestID: requestID)
            return
        }
        let context = RPCContext(
            requestID: requestID, method: frame.method, peer: connection.peer,
            deadline: deadline, baseLogger: logger, server: server.stats)
        let stats = server.stats
        let maxFrameLength = server.configuration.maxFrameLength
        let token = nextToken.add(1, ordering: .relaxed).oldValue
        enum Acceptance { case started, duplicate, expired }
        let acceptance = tasks.withLock { tasks -> Acceptance in
            guard tasks[requestID] == nil else { return .duplicate }
            // §3.6: a deadline already passed (deadline_ms = 0 always is) is answered at once and
            // the handler never starts, so the outcome does not depend on a race with the watcher.
            if let deadline, ContinuousClock.now >= deadline { return .expired }
            stats.began()
            running.add(1, ordering: .relaxed)
            tasks[requestID] = Call(task: nil, token: token)
            if let deadline { watcher.add(token, deadline: deadline) }
            // The call is a server span, the child of the caller's when the frame carries a trace context.
            let parent = TraceHeaders.context(traceparent: frame.traceContext?.traceparent)
            tasks[requestID]?.task = Task { [self] in
                var reply = await withSpan(context.method, context: parent, ofKind: .server) { span in
                    span.attributes["rpc.system"] = "cutline"
                    return await Self.run(handler, frame.payload, context, deadline: deadline)
                }
                if reply.encodedLength > maxFrameLength {
                    reply = Self.errorFrame(
                        .init(
                            .resourceExhausted,
                            "\(context.method): the response is \(reply.encodedLength) bytes, over the \(maxFrameLength)-byte frame limit"), requestID
                    )
                }
                // Forget the id before answering, so the client may reuse it as soon as it has the answer.
                let alreadyAnswered = self.tasks.withLock { $0.removeValue(forKey: requestID)?.answered ?? true }
                if deadline != nil { watcher.remove(token) }
                if !alreadyAnswered { connection.send(reply, coalesce: running.load(ordering: .relaxed) > 1) }
                stats.ended()
                permits.signal()
                running.subtract(1, ordering: .relaxed)
            }
            return .started
        }
        switch acceptance {
        case .started:
            break
        case .expired:
            permits.signal()
            sendError(.deadlineExceeded("\(frame.method): the caller's deadline had passed before the call could start"), requestID: requestID)
        case .duplicate:
            permits.signal()
            // An answer would settle the original call; the client is broken, so close.
            throw RPCError.badRequest("request id \(requestID) is already in flight on this connection")
        }
    }

    /// The watcher's callback: answer `deadline_exceeded` now and cancel the handler; its slot frees
    /// when it actually returns.
    private func deadlinePassed(_ token: UInt64) {
        let expired = tasks.withLock { tasks -> (UInt64, Task<Void, Never>?)? in
            guard let (requestID, call) = tasks.first(where: { $0.value.token == token }), !call.answered else { return nil }
            tasks[requestID]?.answered = true
            return (requestID, call.task)
        }
        guard let (requestID, task) = expired else { return }
        sendError(.deadlineExceeded("the call did not finish before the caller's deadline"), requestID: requestID)
        task?.cancel()
    }

    /// Runs one handler to its answer frame: a response, or an error frame with a typed code.
    private static func run(
        _ handler: @escaping RPCRouter.Handler, _ payload: [UInt8], _ context: RPCContext, deadline: ContinuousClock.Instant?
    ) async -> Frame {
        let requestID = context.requestID
        let started = ContinuousClock.now
        // Each call is timed by method and outcome (`ok` or the error's code).
        func record(_ outcome: String) {
            Timer(label: "cutline_rpc_server_duration_seconds", dimensions: [("method", context.method), ("outcome", outcome)])
                .record(duration: ContinuousClock.now - started)
        }
        do {
            let body = try await handler(payload, context)
            record("ok")
            return Frame(kind: .response, requestID: requestID, payload: body)
        } catch let error as RPCError {
            record(error.code.rawValue)
            return errorFrame(error, requestID)
        } catch is CancellationError {
            if let deadline, ContinuousClock.now >= deadline {
                record(RPCError.Code.deadlineExceeded.rawValue)
                return errorFrame(.deadlineExceeded("\(context.method) did not finish before the caller's deadline"), requestID)
            }
            record(RPCError.Code.cancelled.rawValue)
            return errorFrame(.cancelled("\(context.method) was cancelled"), requestID)
        } catch {
            record(RPCError.Code.internalError.rawValue)
            context.logger.error("handler failed", metadata: ["error": "\(error)"])
            return errorFrame(.internalError("\(context.method) failed: \(error)"), requestID)
        }
    }

    private static func errorFrame(_ error: RPCError, _ requestID: UInt64) -> Frame {
        // Encoding an RPCError cannot fail: two text fields.
        Frame(kind: .error, requestID: requestID, payload: (try? CBOREncoder().encode(error)) ?? [])
    }

    private func sendError(_ error: RPCError, requestID: UInt64) {
        connection.send(Self.errorFrame(error, requestID))
    }

    private func waitForInFlight() {
        while running.load(ordering: .relaxed) > 0 {
            Thread.sleep(forTimeInterval: 0.005)
        }
    }
}
