import CutlineProductTestSupport
import CutlineTestSupport
import Foundation
import Testing

/// Clients that connect and then send slowly, or not at all, cannot keep others from being served:
/// the built Gateway, started as an operator would (with the usual soft limit of 1,024 open files),
/// closes connections that are too slow in any phase and keeps accepting.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct SlowClientTests {
    @Test func elevenHundredSlowlorisConnectionsDoNotKeepANormalClientOut() async throws {
        try Self.allowManySockets()
        // Long deadlines: the slow connections stay open for the whole test unless the server fails.
        let gateway = try await RunningGatewayExecutable(["CUTLINE_HTTP_HEADER_TIMEOUT": "120"])
        defer { gateway.stop() }

        var slow: [RawConnection] = []
        defer { for connection in slow { connection.close() } }
        for _ in 0..<1100 {
            let connection = try RawConnection(port: gateway.port)
            try connection.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            slow.append(connection)
        }
        let served = try ChildProcess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30", "http://127.0.0.1:\(gateway.port)/api/health"])
        #expect(served.stdout == "200", "a normal client was not served while 1,100 slow ones were connected: \(served.stderr)")
        let dropped = slow.filter { $0.isClosedByPeer() }.count
        #expect(dropped == 0, "\(dropped) slow connections were closed before their header deadline")
        #expect(!gateway.log.contains("Too many open files"), "log:\n\(gateway.log.suffix(2000))")
    }

    @Test func aHeadSentAByteAtATimeIsCutOffAtTheHeaderDeadline() async throws {
        let gateway = try await RunningGatewayExecutable(["CUTLINE_HTTP_HEADER_TIMEOUT": "1"])
        defer { gateway.stop() }
        let connection = try RawConnection(port: gateway.port)
        defer { connection.close() }
        try connection.send("GET / HTTP/1.1\r\n")
        // Bytes keep coming, but the head never completes.
        try await waitFor {
            try? connection.send("X")
            return connection.isClosedByPeer(waitingMilliseconds: 200)
        }
    }

    @Test func aBodyTrickledSlowerThanAKibPerSecondIsCutOff() async throws {
        let gateway = try await RunningGatewayExecutable(["CUTLINE_HTTP_BODY_TIMEOUT": "1"])
        defer { gateway.stop() }
        let connection = try RawConnection(port: gateway.port)
        defer { connection.close() }
        try connection.send(
            "POST /api/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
        try await waitFor {
            try? connection.send(" ")
            return connection.isClosedByPeer(waitingMilliseconds: 200)
        }
    }

    @Test func aBodyThatKeepsUpIsReadWhateverItsLength() async throws {
        let gateway = try await RunningGatewayExecutable(["CUTLINE_HTTP_BODY_TIMEOUT": "1"])
        defer { gateway.stop() }
        // 3 s of body at about 8 KiB/s: past the 1 s timeout, but each KiB earns a second.
        let body = "{\"filename\": \"a.mp4\", \"size\": 1000, \"pad\": \"" + String(repeating: "x", count: 24_000) + "\"}"
        let connection = try RawConnection(port: gateway.port)
        defer { connection.close() }
        try connection.send(
            "POST /api/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        let bytes = Array(body.utf8)
        for start in stride(from: 0, to: bytes.count, by: 800) {
            try connection.send(String(decoding: bytes[start..<min(start + 800, bytes.count)], as: UTF8.self))
            try await Task.sleep(for: .milliseconds(100))
        }
        let answer = try connection.receiveHead()
        #expect(answer.hasPrefix("HTTP/1.1 "), "no answer to a body that kept coming: \(answer)")
    }

    @Test func aKeptAliveConnectionWithoutANextRequestIsClosedWhenIdle() async throws {
        let gateway = try await RunningGatewayExecutable(["CUTLINE_HTTP_IDLE_TIMEOUT": "1"])
        defer { gateway.stop() }
        let connection = try RawConnection(port: gateway.port)
        defer { connection.close() }
        try connection.send("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try connection.receiveHead().hasPrefix("HTTP/1.1 200"))
        try await waitUntil { connection.isClosedByPeer(waitingMilliseconds: 100) }
    }

    @Test func pastTheConnectionBoundANewcomerWaitsForAFreeSlot() async throws {
        let gateway = try await RunningGatewayExecutable(["CUTLINE_HTTP_MAX_CONNECTIONS": "8", "CUTLINE_HTTP_HEADER_TIMEOUT": "120"])
        defer { gateway.stop() }
        var held: [RawConnection] = []
        for _ in 0..<8 { held.append(try RawConnection(port: gateway.port)) }
        // The server has taken all eight (a slow head each), so the ninth waits in the listen queue.
        try await waitUntil { gateway.waitingToBeAccepted() == 0 }
        let newcomer = try RawConnection(port: gateway.port)
        defer { newcomer.close() }
        try newcomer.send("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try newcomer.receiveHead(within: .seconds(2)).isEmpty, "a ninth connection was served past a bound of eight")
        #expect(gateway.waitingToBeAccepted() == 1)
        for connection in held { connection.close() }
        #expect(try newcomer.receiveHead().hasPrefix("HTTP/1.1 200"))
    }

    /// This process holds 1,100 sockets of its own.
    static func allowManySockets() throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        try #require(limit.rlim_cur >= 3000, "the test needs 3000 file descriptors; the hard limit is \(limit.rlim_max)")
    }
}

/// The built `cutline-gateway`, started under a soft limit of 1,024 open files (the usual default; the
/// test process's own limit is raised and children would inherit it).
private final class RunningGatewayExecutable: Sendable {
    let port: UInt16
    let process: ChildProcess
    let data: URL

    init(_ settings: [String: String]) async throws {
        data = try TestEnvironment.temporaryDirectory("slow-clients")
        let ports = TestEnvironment.freePorts(2)
        port = ports[0]
        var environment = ProcessInfo.processInfo.environment
        environment["CUTLINE_DATA_DIR"] = data.path
        environment["CUTLINE_GATEWAY_RPC_LISTEN"] = "127.0.0.1:\(ports[1])"
        environment["CUTLINE_GATEWAY_HTTP_LISTEN"] = "127.0.0.1:\(ports[0])"
        environment["CUTLINE_PUBLIC_URL"] = "http://127.0.0.1:\(ports[0])"
        environment.merge(settings) { $1 }
        process = try ChildProcess(
            ["/bin/sh", "-c", "ulimit -Sn 1024 && exec \"$0\"", TestEnvironment.executable("cutline-gateway")], environment: environment,
            captureIn: data)
        let port = port
        try await waitFor {
            let probe = try ChildProcess.run(
                ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", "http://127.0.0.1:\(port)/api/health"])
            return probe.stdout == "200"
        }
    }

    var log: String { process.standardError }

    /// Connections the kernel has established on the HTTP port that the Gateway has not accepted yet
    /// (a listening socket's Recv-Q in `ss`).
    func waitingToBeAccepted() -> Int? {
        let listing = (try? ChildProcess.run(["ss", "-Hltn", "( sport = :\(port) )"]))?.stdout ?? ""
        return listing.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
    }

    func stop() {
        process.stop()
        try? FileManager.default.removeItem(at: data)
    }
}

/// A plain TCP connection to the Gateway, written to byte by byte as a hostile client would.
private final class RawConnection {
    private var descriptor: Int32

    init(port: UInt16) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw TestSupportError("connect: \(reason)")
        }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw TestSupportError("send: \(String(cString: strerror(errno)))") }
    }

    /// The server closed its side: a read finds the end of the stream (or a reset).
    func isClosedByPeer(waitingMilliseconds: Int32 = 0) -> Bool {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, waitingMilliseconds) > 0 else { return false }
        var byte: UInt8 = 0
        let read = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if read > 0 {
            // An answer before the close (there is none for a slow head); drain it.
            var sink = [UInt8](repeating: 0, count: 65_536)
            _ = recv(descriptor, &sink, sink.count, Int32(MSG_DONTWAIT))
            return false
        }
        return read == 0 || (read < 0 && errno != EAGAIN)
    }

    /// The response's status line and headers, waiting up to `within`.
    func receiveHead(within: Duration = .seconds(10)) throws -> String {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + within
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let read = recv(descriptor, &chunk, chunk.count, 0)
            if read <= 0 { break }
            received += chunk[..<read]
            let text = String(decoding: received, as: UTF8.self)
            if text.contains("\r\n\r\n") { return text }
        }
        return String(decoding: received, as: UTF8.self)
    }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }
}
