import CutlineContracts
import CutlineTracing
import CutlineWire
import Foundation
import Logging
import Synchronization
import Testing
import Tracing

@testable import CutlineRPC

@Suite(.timeLimit(.minutes(1)))
struct RPCCallTests {
    @Test func healthAnswersOverALiveSocket() async throws {
        let server = try RPCTestServer()
        let client = server.client()
        let health = try await client.call(SystemContract.health, HealthRequest())
        #expect(health.name == "test")
        #expect(health.version == "test")
        #expect(health.inFlight == 0)
        #expect(client.serverName == "test")
        client.close()
        await server.stop()
    }

    @Test func handlerErrorArrivesTyped() async throws {
        let server = try RPCTestServer()
        let client = server.client()
        await #expect(throws: RPCError.notFound("job 42")) {
            try await client.call(TestContract.fail, "job 42")
        }
        client.close()
        await server.stop()
    }

    @Test func unknownMethodIsUnimplemented() async throws {
        let server = try RPCTestServer()
        let client = server.client()
        let reply = try await client.send(method: "test.nothing", payload: [0xA0], deadline: .now + .seconds(5))
        #expect(ClientConnection.decodeError(reply).code == .unimplemented)
        client.close()
        await server.stop()
    }

    @Test func malformedRequestPayloadIsBadRequest() async throws {
        let server = try RPCTestServer()
        let client = server.client()
        // A text string where test.echo expects a map.
        let reply = try await client.send(method: "test.echo", payload: [0x61, 0x61], deadline: .now + .seconds(5))
        let error = ClientConnection.decodeError(reply)
        #expect(error.code == .badRequest)
        #expect(error.message.contains("EchoRequest"))
        #expect(server.log.calls == 0)
        client.close()
        await server.stop()
    }

    @Test func thousandConcurrentCallsOnOneConnectionEachGetTheirOwnAnswer() async throws {
        let server = try RPCTestServer()
        let client = server.client()
        let mismatches = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<1000 {
                group.addTask {
                    let request = EchoRequest(text: "call-\(i)", number: i)
                    return try await client.call(TestContract.echo, request) == request
                }
            }
            var mismatches = 0
            for try await matched in group where !matched { mismatches += 1 }
            return mismatches
        }
        #expect(mismatches == 0)
        #expect(server.log.calls == 1000)
        client.close()
        await server.stop()
    }

    @Test func deadlineFiresAndTheServerCancelsTheHandler() async throws {
        let server = try RPCTestServer()
        let client = server.client()
        // Connect first, so the deadline below is spent on the call, not on the handshake.
        _ = try await client.call(SystemContract.health, HealthRequest())
        await #expect(throws: RPCError.self) {
            try await client.call(TestContract.sleep, SleepRequest(milliseconds: 10_000, tag: "slow"), timeout: .milliseconds(300))
        }
        try await waitUntil { server.log.cancelled == ["slow"] }
        client.close()
        await server.stop()
    }

    @Test func expiredDeadlineIsReportedAsDeadlineExceeded() async throws {
        let server = try RPCTestServer()
        let client = server.client()
        do {
            _ = try await client.call(TestContract.sleep, SleepRequest(milliseconds: 5_000, tag: "late"), timeout: .milliseconds(100))
            Issue.record("call outlived its deadline")
        } catch let error as RPCError {
            #expect(error.code == .deadlineExceeded)
        }
        client.close()
        await server.stop()
    }

    @Test func cancellingTheCallerCancelsTheHandler() async throws {
        let server = try RPCTestServer()
        let client = server.client()
        _ = try await client.call(SystemContract.health, HealthRequest())
        let call = Task { try await client.call(TestContract.sleep, SleepRequest(milliseconds: 10_000, tag: "cancel-me")) }
        try await waitUntil { server.server.stats.inFlight == 1 }
        call.cancel()
        do {
            _ = try await call.value
            Issue.record("cancelled call returned a value")
        } catch let error as RPCError {
            #expect(error.code == .cancelled)
        }
        try await waitUntil { server.log.cancelled == ["cancel-me"] }
        client.close()
        await server.stop()
    }

    @Test func inFlightLimitAppliesBackpressure() async throws {
        let server = try RPCTestServer { $0.maxInFlightPerConnection = 2 }
        let client = server.client()
        try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<10 {
                group.addTask { try await client.call(TestContract.sleep, SleepRequest(milliseconds: 50, tag: "\(i)")) }
            }
            var answers: Set<String> = []
            for try await answer in group { answers.insert(answer) }
            #expect(answers.count == 10)
        }
        #expect(server.log.maxRunning == 2)
        client.close()
        await server.stop()
    }
}

@Suite(.timeLimit(.minutes(1)))
struct RPCConnectionTests {
    @Test func clientReconnectsWithBackoffUntilTheServerIsUp() async throws {
        // A free port below Linux's ephemeral range (32768+), so no other socket of this busy test
        // process takes it as a source port while the server is not yet there.
        var port: UInt16 = 0
        for candidate in (0..<50).map({ _ in UInt16.random(in: 20_000...32_000) }) {
            if let listener = try? Socket.listen(on: SocketAddress(host: "127.0.0.1", port: candidate)) {
                listener.close()
                port = candidate
                break
            }
        }
        try #require(port != 0)

        var configuration = RPCClientConfiguration(
            address: SocketAddress(host: "127.0.0.1", port: port), secret: RPCTestServer.secret, clientName: "t")
        configuration.backoffInitial = .milliseconds(20)
        let retries = ReconnectCounter()
        var logger = Logger(label: "t") { _ in retries }
        logger.logLevel = .debug
        let client = RPCClient(configuration: configuration, logger: logger)
        let call = Task { try await client.call(SystemContract.health, HealthRequest(), timeout: .seconds(10)) }
        // The server comes up once the client has been refused and has backed off twice.
        let deadline = ContinuousClock.now + .seconds(5)
        while retries.count < 2 {
            try #require(ContinuousClock.now < deadline, "the client never retried")
            try await Task.sleep(for: .milliseconds(5))
        }
        let server = try RPCTestServer(port: port)
        let health = try await call.value
        #expect(health.name == "test")
        client.close()
        await server.stop()
    }

    @Test func unreachableServerFailsAsUnavailableAtTheDeadline() async throws {
        let probe = try RPCTestServer()
        let address = probe.address
        await probe.stop()
        let client = RPCClient(configuration: .init(address: address, secret: RPCTestServer.secret, clientName: "t"), logger: .init(label: "t"))
        do {
            _ = try await client.call(SystemContract.health, HealthRequest(), timeout: .milliseconds(400))
            Issue.record("call to a closed port succeeded")
        } catch let error as RPCError {
            #expect(error.code == .unavailable)
            #expect(error.message.contains(address.description))
        }
    }

    @Test func idleConnectionIsClosedAndTheNextCallReconnects() async throws {
        // Long enough that a reconnect on a loaded machine is not itself idled out before its call
        // is sent (the client resends a call a going-away server never started, but only twice).
        let server = try RPCTestServer { $0.idleTimeout = .seconds(2) }
        let client = server.client()
        _ = try await client.call(SystemContract.health, HealthRequest())
        try await waitUntil { server.server.connectionCount == 0 }
        let again = try await client.call(SystemContract.health, HealthRequest())
        #expect(again.name == "test")
        client.close()
        await server.stop()
    }

    @Test func serverLossFailsInFlightCallsAsUnavailable() async throws {
        let server = try RPCTestServer { $0.shutdownGrace = .zero }
        let client = server.client()
        let call = Task { try await client.call(TestContract.sleep, SleepRequest(milliseconds: 10_000, tag: "orphan")) }
        try await waitUntil { server.server.stats.inFlight == 1 }
        await server.stop()
        do {
            _ = try await call.value
            Issue.record("call survived the server")
        } catch let error as RPCError {
            #expect(error.code == .cancelled || error.code == .unavailable)
        }
        client.close()
    }
}

@Suite(.timeLimit(.minutes(1)))
struct RPCShutdownTests {
    @Test func shutdownDrainsInFlightCalls() async throws {
        let server = try RPCTestServer { $0.shutdownGrace = .seconds(5) }
        let client = server.client()
        let calls = (0..<5).map { i in
            Task { try await client.call(TestContract.sleep, SleepRequest(milliseconds: 300, tag: "drain-\(i)")) }
        }
        try await waitUntil { server.server.stats.inFlight == 5 }
        await server.stop()
        for (i, call) in calls.enumerated() {
            #expect(try await call.value == "drain-\(i)")
        }
        #expect(server.log.cancelled.isEmpty)
        #expect(server.server.connectionCount == 0)
        client.close()
    }

    @Test func callsStillRunningAfterTheGracePeriodAreCancelled() async throws {
        let server = try RPCTestServer { $0.shutdownGrace = .milliseconds(200) }
        let client = server.client()
        let call = Task { try await client.call(TestContract.sleep, SleepRequest(milliseconds: 20_000, tag: "too-long")) }
        try await waitUntil { server.server.stats.inFlight == 1 }
        await server.stop()
        await #expect(throws: RPCError.self) { try await call.value }
        #expect(server.log.cancelled == ["too-long"])
        client.close()
    }
}

@Suite(.timeLimit(.minutes(1)))
struct RPCHandshakeTests {
    @Test func wrongSecretIsRefusedAndNeverReachesAHandler() async throws {
        let server = try RPCTestServer()
        let wrong = try RPCSecret(Data("another-secret-0123456789".utf8), origin: "test")
        let client = server.client(secret: wrong)
        do {
            _ = try await client.call(TestContract.echo, EchoRequest(text: "x", number: 1))
            Issue.record("a client with the wrong secret was served")
        } catch let error as RPCError {
            #expect(error.code == .unauthenticated)
        }
        #expect(server.log.calls == 0)
        client.close()
        await server.stop()
    }

    @Test func impostorServerIsRefusedByTheClient() async throws {
        // A listener that answers the handshake without knowing the secret: its welcome proof cannot verify.
        let listener = try Socket.listen(on: SocketAddress(host: "127.0.0.1", port: 0))
        let port = listener.localPort()
        let impostor = Thread {
            guard let (socket, _) = try? listener.accept(timeoutMilliseconds: 5000) else { return }
            let peer = RawPeer(socket: socket)
            guard (try? peer.receive()) != nil else { return }
            let challenge = ChallengeMessage(version: 1, nonce: Handshake.freshNonce(), peer: "impostor")
            try? peer.send(Frame(kind: .challenge, requestID: 0, payload: CBOREncoder().encode(challenge)))
            guard (try? peer.receive()) != nil else { return }
            try? peer.send(Frame(kind: .welcome, requestID: 0, payload: CBOREncoder().encode(ProofMessage(proof: Data(repeating: 7, count: 32)))))
            _ = try? peer.receive()
        }
        impostor.start()
        let client = RPCClient(
            configuration: .init(address: SocketAddress(host: "127.0.0.1", port: port), secret: RPCTestServer.secret, clientName: "t"),
            logger: .init(label: "t"))
        do {
            _ = try await client.call(SystemContract.health, HealthRequest(), timeout: .seconds(3))
            Issue.record("the client trusted a server that does not hold the secret")
        } catch let error as RPCError {
            #expect(error.code == .unauthenticated)
        }
        client.close()
        listener.close()
    }

    @Test func requestBeforeTheHandshakeIsRefused() async throws {
        let server = try RPCTestServer()
        let peer = try await RawPeer.connect(server.address)
        try await peer.sendAsync(
            Frame(kind: .request, requestID: 1, method: "test.echo", payload: CBOREncoder().encode(EchoRequest(text: "sneaky", number: 0))))
        #expect(peer.errorCode(of: try await peer.receiveAsync()) == .unauthenticated)
        #expect(try await peer.receiveAsync() == nil)
        #expect(server.log.calls == 0)
    }

    @Test func wrongFrameVersionGetsUnsupportedVersion() async throws {
        let server = try RPCTestServer()
        let peer = try await RawPeer.connect(server.address)
        var bytes = Frame(kind: .hello, requestID: 0, payload: [0xA0]).encoded()
        bytes[4] = 9
        try await peer.sendAsync(bytes)
        #expect(peer.errorCode(of: try await peer.receiveAsync()) == .unsupportedVersion)
        #expect(try await peer.receiveAsync() == nil)
    }

    @Test func helloOfferingOnlyUnknownVersionsGetsUnsupportedVersion() async throws {
        let server = try RPCTestServer()
        let peer = try await RawPeer.connect(server.address)
        let hello = HelloMessage(versions: [7, 8], nonce: Handshake.freshNonce(), peer: "future")
        try await peer.sendAsync(Frame(kind: .hello, requestID: 0, payload: CBOREncoder().encode(hello)))
        #expect(peer.errorCode(of: try await peer.receiveAsync()) == .unsupportedVersion)
        #expect(try await peer.receiveAsync() == nil)
    }

    @Test func oversizedLengthIsRefusedBeforeAllocation() async throws {
        let server = try RPCTestServer()
        let peer = try await RawPeer.connect(server.address)
        try await peer.sendAsync([0xFF, 0xFF, 0xFF, 0xFF])
        #expect(peer.errorCode(of: try await peer.receiveAsync()) == .badRequest)
        #expect(try await peer.receiveAsync() == nil)
    }

    @Test func garbageBytesCloseTheConnectionAndTheServerKeepsServing() async throws {
        let server = try RPCTestServer()
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let peer = try await RawPeer.connect(server.address)
            try? await peer.sendAsync((0..<64).map { _ in UInt8.random(in: 0...255, using: &rng) })
            // Either an error frame then close, or (for bytes that look like a partial frame) a timeout close.
            _ = try? await peer.receiveAsync(timeoutMilliseconds: 100)
        }
        let client = server.client()
        #expect(try await client.call(SystemContract.health, HealthRequest()).name == "test")
        client.close()
        await server.stop()
    }

    @Test func silentPeerIsDisconnectedAfterTheHandshakeTimeout() async throws {
        let server = try RPCTestServer { $0.handshakeTimeout = .milliseconds(200) }
        let peer = try await RawPeer.connect(server.address)
        try await peer.sendAsync([0, 0, 0])  // the start of a length, then nothing
        #expect(peer.errorCode(of: try await peer.receiveAsync()) == .unauthenticated)
        #expect(try await peer.receiveAsync() == nil)
    }

    @Test func peerStallingMidFrameIsDisconnectedAfterTheReadTimeout() async throws {
        let server = try RPCTestServer { $0.readTimeout = .milliseconds(200) }
        let peer = try await RawPeer.connect(server.address)
        try await peer.authenticateAsync()
        let frame = Frame(kind: .request, requestID: 1, method: "test.echo", payload: try CBOREncoder().encode(EchoRequest(text: "x", number: 1)))
            .encoded()
        try await peer.sendAsync(Array(frame.prefix(10)))
        #expect(peer.errorCode(of: try await peer.receiveAsync()) == .deadlineExceeded)
        #expect(try await peer.receiveAsync() == nil)
    }

    @Test func pingIsAnsweredWithPongCarryingTheSamePayload() async throws {
        let server = try RPCTestServer()
        let peer = try await RawPeer.connect(server.address)
        try await peer.authenticateAsync()
        try await peer.sendAsync(Frame(kind: .ping, requestID: 99, payload: [0x01]))
        let pong = try #require(try await peer.receiveAsync())
        #expect(pong.kind == .pong && pong.requestID == 99 && pong.payload == [0x01])
    }
}

/// Polls a condition for up to 30 s (patient: other suites share the two cores); fails the test if it
/// never holds.
func waitUntil(_ condition: @Sendable () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition did not hold within 30 s", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// Counts the client's "reconnecting after backoff" lines: how a test knows it has been refused and
/// is retrying, without guessing a delay.
final class ReconnectCounter: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var seen = 0
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    var count: Int { lock.withLock { seen } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        if event.message.description == "reconnecting after backoff" { lock.withLock { seen += 1 } }
    }
}

/// The trace context on requests is an optional part of the protocol: a client sends it to a server
/// whose challenge lists `trace_context`, and never to an older server, which would close the
/// connection on the flag bit it does not know.
@Suite struct TraceContextCompatibilityTests {
    /// A server that speaks the handshake (with the right secret) and answers one health call, its
    /// challenge listing `features`; it reports the request frame it got.
    static func serve(features: [String]?) throws -> (port: UInt16, request: @Sendable () -> Frame?) {
        let listener = try Socket.listen(on: SocketAddress(host: "127.0.0.1", port: 0))
        let port = listener.localPort()
        let received = Mutex<Frame?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            defer {
                listener.close()
                done.signal()
            }
            guard let (socket, _) = try? listener.accept(timeoutMilliseconds: 5000) else { return }
            let peer = RawPeer(socket: socket)
            guard let helloFrame = try? peer.receive(), let hello = try? CBORDecoder().decode(HelloMessage.self, from: helloFrame.payload) else {
                return
            }
            let nonce = Handshake.freshNonce()
            let challenge = ChallengeMessage(version: 1, nonce: nonce, peer: "older", features: features)
            try? peer.send(Frame(kind: .challenge, requestID: 0, payload: CBOREncoder().encode(challenge)))
            guard (try? peer.receive()) != nil else { return }
            let proof = Handshake.proof(secret: RPCTestServer.secret, role: .server, version: 1, clientNonce: hello.nonce, serverNonce: nonce)
            try? peer.send(Frame(kind: .welcome, requestID: 0, payload: CBOREncoder().encode(ProofMessage(proof: proof))))
            guard let request = try? peer.receive() else { return }
            received.withLock { $0 = request }
            let answer = HealthResponse(name: "older", version: "0", uptimeSeconds: 1, inFlight: 0)
            try? peer.send(Frame(kind: .response, requestID: request.requestID, payload: CBOREncoder().encode(answer)))
            _ = try? peer.receive(timeoutMilliseconds: 2000)
        }.start()
        return (
            port,
            {
                done.wait()
                return received.withLock { $0 }
            }
        )
    }

    @Test(arguments: [(["trace_context"], true), (nil, false), (["something_else"], false)])
    func aTraceContextGoesOnlyToAServerThatReadsIt(features: [String]?, sent: Bool) async throws {
        // A tracer for this test process, so a span has W3C ids to send (the first test to ask makes it).
        _ = try TraceSetup.bootstrap(serviceName: "cutline-rpc-tests")
        let (port, request) = try Self.serve(features: features)
        let client = RPCClient(
            configuration: .init(address: SocketAddress(host: "127.0.0.1", port: port), secret: RPCTestServer.secret, clientName: "t"),
            logger: .init(label: "t"))
        let traceID = try await withSpan("caller") { span in
            _ = try await client.call(SystemContract.health, HealthRequest(), timeout: .seconds(5))
            return TraceHeaders.currentTraceparent?.split(separator: "-")[1]
        }
        client.close()
        let frame = try #require(request())
        #expect((frame.traceContext != nil) == sent, "features \(features ?? []): trace context \(frame.traceContext?.traceparent ?? "none")")
        if sent, let traceID { #expect(frame.traceContext?.traceparent.contains(traceID) == true) }
    }
}
