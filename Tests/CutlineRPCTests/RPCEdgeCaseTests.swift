import CutlineContracts
import CutlineTestSupport
import CutlineWire
import Foundation
import Logging
import Synchronization
import Testing

@testable import CutlineRPC

/// The protocol's edges, each as PROTOCOL.md states it, over a live socket.
@Suite(.timeLimit(.minutes(1)))
struct RPCEdgeCaseTests {
    /// §3.3 and §5.3: `system.health` takes the empty struct, which reads only a map with text keys.
    @Test(arguments: ["01", "80", "60", "f6", "a10102", "a2617801617801"])
    func emptyRequestTypeRefusesOtherPayloads(hex: String) async throws {
        let server = try RPCTestServer()
        let client = server.client()
        let reply = try await client.send(method: "system.health", payload: Array(hex: hex), deadline: .now + .seconds(10))
        #expect(reply.kind == .error)
        #expect(try CBORDecoder().decode(RPCError.self, from: reply.payload).code == .badRequest)
        client.close()
        await server.stop()
    }

    @Test(arguments: ["a0", "a1617801"])
    func emptyRequestTypeAcceptsAMap(hex: String) async throws {
        let server = try RPCTestServer()
        let client = server.client()
        let reply = try await client.send(method: "system.health", payload: Array(hex: hex), deadline: .now + .seconds(10))
        #expect(reply.kind == .response)
        client.close()
        await server.stop()
    }

    /// §3.6: deadline_ms = 0 has already expired; the handler never runs, every time.
    @Test func zeroDeadlineIsAlwaysExceededAndNeverRunsTheHandler() async throws {
        let server = try RPCTestServer()
        let peer = try await RawPeer.connect(server.address)
        try await peer.authenticateAsync()
        let payload = try CBOREncoder().encode(EchoRequest(text: "late", number: 0))
        var bytes: [UInt8] = []
        for id in 1...100 {
            Frame(kind: .request, requestID: UInt64(id), method: "test.echo", deadlineMilliseconds: 0, payload: payload).write(to: &bytes)
        }
        try await peer.sendAsync(bytes)
        var codes: [RPCError.Code?] = []
        for _ in 1...100 { codes.append(peer.errorCode(of: try await peer.receiveAsync())) }
        #expect(codes.allSatisfy { $0 == .deadlineExceeded }, "\(codes.filter { $0 != .deadlineExceeded }.count) of 100 were not deadline_exceeded")
        #expect(server.log.calls == 0)
        await server.stop()
    }

    /// §3.9: on shutdown every connection gets the going-away frame before it closes, and one holding
    /// half a frame gets that one frame only (the server closed it; the peer did nothing wrong).
    @Test func shutdownTellsEveryConnectionItIsGoingAway() async throws {
        // The half frame must still be pending at shutdown, whatever the machine's load.
        let server = try RPCTestServer { $0.readTimeout = .seconds(60) }
        var peers: [RawPeer] = []
        for _ in 0..<45 {
            let peer = try await RawPeer.connect(server.address)
            try await peer.authenticateAsync()
            peers.append(peer)
        }
        try await waitUntil { server.server.connectionCount == 45 }
        let half = Frame(kind: .request, requestID: 1, method: "test.echo", payload: try CBOREncoder().encode(EchoRequest(text: "x", number: 1)))
            .encoded()
        try await peers[0].sendAsync(Array(half.prefix(half.count / 2)))
        await server.stop()
        for (index, peer) in peers.enumerated() {
            var frames: [Frame] = []
            while let frame = try await peer.receiveAsync() { frames.append(frame) }
            #expect(frames.count == 1, "connection \(index) got \(frames.count) frames before it closed")
            #expect(frames.first.map { $0.requestID == 0 && peer.errorCode(of: $0) == .unavailable } == true, "connection \(index)")
        }
    }

    /// §4: a handshake refused with a code that waiting cannot cure fails at once with that code;
    /// a code this client does not know reads as `internal` (§6).
    @Test(arguments: [("internal", RPCError.Code.internalError), ("no_such_code", .internalError), ("bad_request", .badRequest)])
    func handshakeRefusalFailsWithItsCodeWithoutRetrying(code: String, expected: RPCError.Code) async throws {
        let listener = try Socket.listen(on: SocketAddress(host: "127.0.0.1", port: 0))
        let accepted = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let stopped = DispatchSemaphore(value: 0)
        // The listener is closed only after this thread has stopped using it: a closed descriptor's
        // number is soon another test's socket.
        defer {
            stop.store(true, ordering: .relaxed)
            stopped.wait()
            listener.close()
        }
        let refuser = Thread {
            defer { stopped.signal() }
            while !stop.load(ordering: .relaxed) {
                guard let (socket, _) = try? listener.accept(timeoutMilliseconds: 100) else { continue }
                accepted.add(1, ordering: .relaxed)
                let peer = RawPeer(socket: socket)
                guard (try? peer.receive()) != nil else { continue }
                let refusal = try! CBOREncoder().encode(["code": code, "message": "refused by the test"])
                try? peer.send(Frame(kind: .error, requestID: 0, payload: refusal))
            }
        }
        refuser.start()
        let client = RPCClient(
            configuration: .init(
                address: SocketAddress(host: "127.0.0.1", port: listener.localPort()),
                secret: RPCTestServer.secret, clientName: "t"), logger: .init(label: "t"))
        do {
            _ = try await client.call(SystemContract.health, HealthRequest(), timeout: .seconds(5))
            Issue.record("the call succeeded against a server that refuses every handshake")
        } catch let error as RPCError {
            #expect(error.code == expected)
            #expect(error.message.contains("refused by the test"))
        }
        #expect(accepted.load(ordering: .relaxed) == 1)
        client.close()
    }

    /// A client with a connect budget fails a call to a service that is down once the budget is spent,
    /// not at the call's (much later) deadline: what a person waiting on the Gateway needs.
    @Test func aConnectBudgetEndsTheWaitForAServiceThatIsDown() async throws {
        let port = TestEnvironment.freePort()  // nothing listens on it
        var configuration = RPCClientConfiguration(
            address: SocketAddress(host: "127.0.0.1", port: port), secret: RPCTestServer.secret, clientName: "t")
        configuration.connectBudget = .milliseconds(300)
        let client = RPCClient(configuration: configuration, logger: .init(label: "t"))
        defer { client.close() }
        let started = ContinuousClock.now
        do {
            _ = try await client.call(SystemContract.health, HealthRequest(), timeout: .seconds(60))
            Issue.record("the call succeeded with nothing listening")
        } catch let error as RPCError {
            #expect(error.code == .unavailable && error.message.contains("gave up waiting for a connection"), "\(error)")
        }
        // Well before the 60 s deadline (generous: shared machines are slow, not that slow).
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    /// §4: the 4,096-byte handshake limit is on the length field (the bytes after it).
    @Test func handshakeLimitCountsTheBytesAfterTheLengthField() async throws {
        let server = try RPCTestServer()
        func hello(length: Int) throws -> Frame {
            var name = ""
            while true {
                let payload = try CBOREncoder().encode(HelloMessage(versions: [1], nonce: Handshake.freshNonce(), peer: name))
                if Frame.fixedHeaderLength + payload.count == length { return Frame(kind: .hello, requestID: 0, payload: payload) }
                name += "p"
            }
        }
        let fits = try await RawPeer.connect(server.address)
        try await fits.sendAsync(try hello(length: 4096))
        #expect(try await fits.receiveAsync()?.kind == .challenge)
        let over = try await RawPeer.connect(server.address)
        try await over.sendAsync(try hello(length: 4097))
        #expect(over.errorCode(of: try await over.receiveAsync()) == .badRequest)
        #expect(try await over.receiveAsync() == nil)
        await server.stop()
    }

    /// §4: handshake frames carry request id 0.
    @Test func handshakeFrameWithARequestIDIsRefused() async throws {
        let server = try RPCTestServer()
        let peer = try await RawPeer.connect(server.address)
        let hello = HelloMessage(versions: [1], nonce: Handshake.freshNonce(), peer: "raw")
        try await peer.sendAsync(Frame(kind: .hello, requestID: 7, payload: CBOREncoder().encode(hello)))
        let answer = try await peer.receiveAsync()
        #expect(peer.errorCode(of: answer) == .badRequest, "\(String(describing: answer))")
        #expect(try await peer.receiveAsync() == nil)
        await server.stop()
    }

    /// §2: a wrong version is answered from the header bytes, not after the whole declared frame.
    @Test func wrongVersionIsRefusedBeforeTheFrameIsComplete() async throws {
        let server = try RPCTestServer { $0.readTimeout = .seconds(30) }
        let peer = try await RawPeer.connect(server.address)
        try await peer.authenticateAsync()
        // Declares a 16 MiB frame of version 2 and sends only its first header bytes.
        try await peer.sendAsync([0x01, 0x00, 0x00, 0x00, 2, 1, 0, 0])
        #expect(peer.errorCode(of: try await peer.receiveAsync(timeoutMilliseconds: 10_000)) == .unsupportedVersion)
        await server.stop()
    }

    /// §3.4: a cancel frame's payload is ignored; the call is cancelled all the same.
    @Test func cancelWithAPayloadStillCancels() async throws {
        let server = try RPCTestServer()
        let peer = try await RawPeer.connect(server.address)
        try await peer.authenticateAsync()
        let sleep = try CBOREncoder().encode(SleepRequest(milliseconds: 20_000, tag: "cancel-me"))
        try await peer.sendAsync(Frame(kind: .request, requestID: 5, method: "test.sleep", deadlineMilliseconds: 30_000, payload: sleep))
        try await waitUntil { server.server.stats.inFlight == 1 }
        try await peer.sendAsync(Frame(kind: .cancel, requestID: 5, payload: [1, 2, 3]))
        let answer = try #require(try await peer.receiveAsync())
        #expect(answer.requestID == 5 && peer.errorCode(of: answer) == .cancelled)
        #expect(server.log.cancelled == ["cancel-me"])
        await server.stop()
    }
}
