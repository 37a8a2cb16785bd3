import CutlineContracts
import CutlineWire
import Foundation
import Logging
import Synchronization

@testable import CutlineRPC

struct EchoRequest: Codable, Sendable, Equatable {
    var text: String
    var number: Int
}

struct SleepRequest: Codable, Sendable {
    var milliseconds: Int
    var tag: String
}

enum TestContract {
    static let echo = RPCMethod<EchoRequest, EchoRequest>("test.echo")
    static let sleep = RPCMethod<SleepRequest, String>("test.sleep")
    static let fail = RPCMethod<String, String>("test.fail")
}

/// What the test server's handlers observed, so tests can prove what reached (or never reached) them.
final class HandlerLog: Sendable {
    private struct Counts {
        var calls = 0
        var running = 0
        var maxRunning = 0
        var cancelled: [String] = []
        var finished: [String] = []
    }

    private let counts = Mutex(Counts())

    var calls: Int { counts.withLock { $0.calls } }
    var maxRunning: Int { counts.withLock { $0.maxRunning } }
    var cancelled: [String] { counts.withLock { $0.cancelled } }
    var finished: [String] { counts.withLock { $0.finished } }

    func began() {
        counts.withLock {
            $0.calls += 1
            $0.running += 1
            $0.maxRunning = max($0.maxRunning, $0.running)
        }
    }

    func ended(_ tag: String, cancelled: Bool) {
        counts.withLock {
            $0.running -= 1
            if cancelled { $0.cancelled.append(tag) } else { $0.finished.append(tag) }
        }
    }
}

/// A real RPCServer on a loopback port chosen by the system, with test methods.
final class RPCTestServer: Sendable {
    static let secret = try! RPCSecret(Data("test-secret-0123456789".utf8), origin: "test")
    let server: RPCServer
    let address: SocketAddress
    let log = HandlerLog()
    private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)

    init(port: UInt16 = 0, configure: (inout RPCServerConfiguration) -> Void = { _ in }) throws {
        var configuration = RPCServerConfiguration(
            listen: SocketAddress(host: "127.0.0.1", port: port), secret: Self.secret, serviceName: "test")
        configure(&configuration)
        var router = RPCRouter()
        router.registerHealth()
        let log = self.log
        router.register(TestContract.echo) { request, _ in
            log.began()
            log.ended(request.text, cancelled: false)
            return request
        }
        router.register(TestContract.sleep) { request, _ in
            log.began()
            do {
                try await Task.sleep(for: .milliseconds(request.milliseconds))
            } catch {
                log.ended(request.tag, cancelled: true)
                throw error
            }
            log.ended(request.tag, cancelled: false)
            return request.tag
        }
        router.register(TestContract.fail) { message, _ in
            throw RPCError.notFound(message)
        }
        var logger = Logger(label: "test.server")
        logger.logLevel = .critical
        server = RPCServer(configuration: configuration, router: router, version: "test", logger: logger)
        // Accept right away on the server's own thread, whatever the cooperative pool is busy with.
        address = try server.start()
        let server = self.server
        task.withLock { $0 = Task { try await server.run() } }
    }

    /// Cancelling `run()` is how a ServiceGroup stops it; in-flight calls get the grace period.
    func stop() async {
        let running = task.withLock { $0 }
        running?.cancel()
        _ = try? await running?.value
    }

    func client(secret: RPCSecret = RPCTestServer.secret, configure: (inout RPCClientConfiguration) -> Void = { _ in }) -> RPCClient {
        var configuration = RPCClientConfiguration(address: address, secret: secret, clientName: "test-client")
        configure(&configuration)
        var logger = Logger(label: "test.client")
        logger.logLevel = .critical
        return RPCClient(configuration: configuration, logger: logger)
    }
}

/// A raw TCP peer for protocol-level tests: sends exactly the bytes given and reads what comes back.
/// Its blocking calls run on threads of their own (`…Async`), never on the cooperative pool, which
/// the servers under test need.
final class RawPeer: @unchecked Sendable {
    let socket: Socket
    var decoder = FrameDecoder()

    init(_ address: SocketAddress) throws {
        socket = try Socket.connect(to: address, timeoutMilliseconds: 2000)
    }

    init(socket: Socket) {
        self.socket = socket
    }

    deinit { socket.close() }

    func send(_ bytes: [UInt8]) throws { try socket.writeAll(bytes) }
    func send(_ frame: Frame) throws { try socket.writeAll(frame.encoded()) }

    /// The next frame, or nil once the server has closed the connection.
    func receive(timeoutMilliseconds: Int32 = 10_000) throws -> Frame? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let frame = try decoder.next() { return frame }
            guard try socket.poll(events: Int16(POLLIN), timeoutMilliseconds: timeoutMilliseconds) else {
                throw RPCError.deadlineExceeded("raw peer: no data within \(timeoutMilliseconds) ms")
            }
            let n = try buffer.withUnsafeMutableBytes { try socket.read(into: $0) }
            if n == 0 { return nil }
            decoder.append(buffer[0..<n])
        }
    }

    /// Runs the client side of the handshake with `secret`.
    func authenticate(secret: RPCSecret = RPCTestServer.secret) throws {
        let clientNonce = Handshake.freshNonce()
        try send(Frame(kind: .hello, requestID: 0, payload: CBOREncoder().encode(HelloMessage(versions: [1], nonce: clientNonce, peer: "raw"))))
        guard let challengeFrame = try receive(), challengeFrame.kind == .challenge else { throw RPCError.unavailable("no challenge") }
        let challenge = try CBORDecoder().decode(ChallengeMessage.self, from: challengeFrame.payload)
        let proof = Handshake.proof(secret: secret, role: .client, version: 1, clientNonce: clientNonce, serverNonce: challenge.nonce)
        try send(Frame(kind: .auth, requestID: 0, payload: CBOREncoder().encode(ProofMessage(proof: proof))))
        guard let welcome = try receive(), welcome.kind == .welcome else { throw RPCError.unauthenticated("no welcome") }
    }

    static func connect(_ address: SocketAddress) async throws -> RawPeer {
        try await onDedicatedThread(name: "raw-peer") { try RawPeer(address) }
    }

    func sendAsync(_ bytes: [UInt8]) async throws { try await onDedicatedThread(name: "raw-peer") { try self.send(bytes) } }
    func sendAsync(_ frame: Frame) async throws { try await sendAsync(frame.encoded()) }

    func receiveAsync(timeoutMilliseconds: Int32 = 10_000) async throws -> Frame? {
        try await onDedicatedThread(name: "raw-peer") { try self.receive(timeoutMilliseconds: timeoutMilliseconds) }
    }

    func authenticateAsync(secret: RPCSecret = RPCTestServer.secret) async throws {
        try await onDedicatedThread(name: "raw-peer") { try self.authenticate(secret: secret) }
    }

    func errorCode(of frame: Frame?) -> RPCError.Code? {
        guard let frame, frame.kind == .error else { return nil }
        return (try? CBORDecoder().decode(RPCError.self, from: frame.payload))?.code
    }
}
