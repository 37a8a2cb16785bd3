import Crypto
import CutlineHTTP
import CutlineTestSupport
import Foundation
import Testing

/// The libcurl client against a real HTTP server on loopback (Tests/Support/http-fixture-server.py).
@Suite(.serialized)
final class HTTPClientTests: @unchecked Sendable {
    let directory: URL
    let server: LoopbackServer
    let client: HTTPClient

    init() throws {
        directory = try TestEnvironment.temporaryDirectory("http")
        server = try LoopbackServer([
            "python3", TestEnvironment.repository.appendingPathComponent("Tests/Support/http-fixture-server.py").path, "{port}", directory.path,
        ])
        var configuration = HTTPClient.Configuration()
        configuration.backoffInitial = .milliseconds(10)
        configuration.timeout = .seconds(10)
        client = try HTTPClient(configuration: configuration)
    }

    deinit {
        client.shutdown()
        server.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    func url(_ path: String) -> URL { URL(string: path, relativeTo: server.baseURL)!.absoluteURL }

    @Test func putStreamsAFileAndGetStreamsItBackIntact() async throws {
        let source = directory.appendingPathComponent("source.bin")
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(3 * 1024 * 1024 + 17)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try Data(bytes).write(to: source)
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()

        let put = try await client.expectSuccess(HTTPRequest(method: .put, url: url("/file/stored.bin"), body: .file(path: source.path)))
        #expect(put.headers["x-sha256"] == digest)

        let target = directory.appendingPathComponent("downloaded.bin")
        _ = try await client.expectSuccess(HTTPRequest(method: .get, url: url("/file/stored.bin"), destination: .file(path: target.path)))
        #expect(try Data(contentsOf: target) == Data(bytes))
    }

    @Test func aFileRangeIsSentAsTheBody() async throws {
        let source = directory.appendingPathComponent("range.bin")
        try Data((0..<100).map { UInt8($0) }).write(to: source)
        let response = try await client.expectSuccess(
            HTTPRequest(method: .put, url: url("/echo/x"), body: .file(path: source.path, offset: 10, length: 5)))
        #expect(response.body == [10, 11, 12, 13, 14])
        #expect(response.headers["x-method"] == "PUT")
    }

    @Test func serverErrorsAreRetriedUntilTheyPass() async throws {
        let response = try await client.expectSuccess(HTTPRequest(method: .get, url: url("/flaky/a?fail=2")))
        #expect(response.bodyText == "ok after 2")
    }

    @Test func retriesStopAtTheLimitAndTheStatusIsReported() async throws {
        do {
            _ = try await client.expectSuccess(HTTPRequest(method: .get, url: url("/status/503")))
            Issue.record("a 503 was accepted")
        } catch let error as HTTPError {
            #expect(error.status == 503)
            #expect(error.description.contains("status 503"))
        }
        let hits = try await client.send(HTTPRequest(method: .get, url: url("/hits/status/503")))
        #expect(hits.bodyText == "\(client.configuration.maxAttempts)")
    }

    @Test func postIsNotRetried() async throws {
        let response = try await client.send(HTTPRequest(method: .post, url: url("/flaky/post?fail=1"), body: .bytes(Array("x".utf8))))
        #expect(response.status == 503)
        #expect(try await client.send(HTTPRequest(method: .get, url: url("/hits/flaky/post"))).bodyText == "1")
    }

    @Test func clientErrorsAreNotRetried() async throws {
        let response = try await client.send(HTTPRequest(method: .get, url: url("/status/404")))
        #expect(response.status == 404)
        #expect(try await client.send(HTTPRequest(method: .get, url: url("/hits/status/404"))).bodyText == "1")
    }

    @Test func failedDownloadLeavesNoFileAndKeepsTheServersMessage() async throws {
        let target = directory.appendingPathComponent("never.bin")
        do {
            _ = try await client.expectSuccess(HTTPRequest(method: .get, url: url("/file/missing.bin"), destination: .file(path: target.path)))
            Issue.record("a 404 download succeeded")
        } catch let error as HTTPError {
            #expect(error.status == 404)
            #expect(error.response?.bodyText == "no such file: missing.bin")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("never.bin") }
        #expect(leftovers.isEmpty)
    }

    @Test func refusedConnectionIsANetworkErrorWithCurlsMessage() async throws {
        let closed = URL(string: "http://127.0.0.1:\(TestEnvironment.freePort())/x")!
        do {
            _ = try await client.send(HTTPRequest(method: .get, url: closed, retryable: false))
            Issue.record("a request to a closed port succeeded")
        } catch let error as HTTPError {
            guard case .network(_, let message) = error.kind else {
                Issue.record("not a network error: \(error)")
                return
            }
            #expect(message.lowercased().contains("connect"))
        }
    }

    @Test func slowAnswerTimesOut() async throws {
        do {
            _ = try await client.send(HTTPRequest(method: .get, url: url("/slow?ms=3000"), retryable: false), timeout: .milliseconds(300))
            Issue.record("a slow answer beat its timeout")
        } catch let error as HTTPError {
            guard case .network(let code, _) = error.kind else {
                Issue.record("not a network error: \(error)")
                return
            }
            #expect(code == 28, "CURLE_OPERATION_TIMEDOUT")
        }
    }

    /// A sub-second connect timeout is that many milliseconds (it used to become 0, i.e. curl's 300 s
    /// default). The peer is a listener whose accept queue is full, so the kernel drops the SYN.
    @Test func connectTimeoutUnderASecondIsHonoured() async throws {
        let blackHole = try FullBacklogListener()
        defer { blackHole.close() }
        var configuration = HTTPClient.Configuration()
        configuration.connectTimeout = .milliseconds(300)
        configuration.timeout = .seconds(20)
        let client = try HTTPClient(configuration: configuration)
        defer { client.shutdown() }
        do {
            _ = try await client.send(HTTPRequest(method: .get, url: URL(string: "http://127.0.0.1:\(blackHole.port)/")!, retryable: false))
            Issue.record("a connection to a full accept queue succeeded")
        } catch let error as HTTPError {
            guard case .network(let code, let message) = error.kind else {
                Issue.record("not a network error: \(error)")
                return
            }
            #expect(code == 28, "CURLE_OPERATION_TIMEDOUT")
            // curl's own message says which limit ended it and after how long.
            let reported = message.firstMatch(of: /after (\d+) ms/).flatMap { Int($0.1) }
            #expect(reported.map { $0 < 5000 } == true, "\(message)")
        }
    }

    @Test func errorsCountTheAttemptsMade() async throws {
        do {
            _ = try await client.expectSuccess(HTTPRequest(method: .get, url: url("/status/500")))
            Issue.record("a 500 was accepted")
        } catch let error as HTTPError {
            #expect(error.attempts == client.configuration.maxAttempts)
            #expect(error.description.contains("after \(client.configuration.maxAttempts) attempts"))
        }
        let closed = URL(string: "http://127.0.0.1:\(TestEnvironment.freePort())/x")!
        do {
            _ = try await client.send(HTTPRequest(method: .get, url: closed))
            Issue.record("a request to a closed port succeeded")
        } catch let error as HTTPError {
            #expect(error.attempts == client.configuration.maxAttempts)
        }
    }

    @Test func manyConcurrentRequestsAllComplete() async throws {
        let client = self.client
        let urls = (0..<64).map { url("/echo/\($0)") }
        let bodies = try await withThrowingTaskGroup(of: String.self) { group in
            for (i, target) in urls.enumerated() {
                group.addTask { try await client.expectSuccess(HTTPRequest(method: .put, url: target, body: .bytes(Array("\(i)".utf8)))).bodyText }
            }
            var all: Set<String> = []
            for try await body in group { all.insert(body) }
            return all
        }
        #expect(bodies == Set((0..<64).map(String.init)))
    }
}

/// Without the fixture's own client, whose threads would be counted too.
@Suite(.serialized)
struct HTTPClientLifetimeTests {
    /// A client dropped without `shutdown()` still stops its threads (they do not keep it alive).
    @Test func aForgottenClientStopsItsThreads() async throws {
        // Clients of other tests that were shut down may still be winding down: start from a steady count.
        var before = Self.httpThreadCount()
        while true {
            try await Task.sleep(for: .milliseconds(300))
            let now = Self.httpThreadCount()
            if now == before { break }
            before = now
        }
        do {
            var configuration = HTTPClient.Configuration()
            configuration.concurrency = 5
            let client = try HTTPClient(configuration: configuration)
            _ = try? await client.send(
                HTTPRequest(method: .get, url: URL(string: "http://127.0.0.1:\(TestEnvironment.freePort())/")!, retryable: false))
            // Each worker names itself once it runs: wait for all five names.
            let started = ContinuousClock.now + .seconds(10)
            while Self.httpThreadCount() < before + 5 && ContinuousClock.now < started {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(Self.httpThreadCount() == before + 5)
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while Self.httpThreadCount() > before && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(Self.httpThreadCount() == before)
    }

    /// Threads of this process named by an HTTP client's workers (`http-N`).
    static func httpThreadCount() -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            let name = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
            return name.hasPrefix("http-")
        }.count
    }

}

/// A loopback listener that never accepts, its accept queue already full: a connection to it waits for
/// a SYN-ACK that never comes, as across a network that drops packets.
final class FullBacklogListener {
    private let listener: Int32
    private var fillers: [Int32] = []
    let port: UInt16

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(listener, 0) == 0 else { throw TestSupportError("cannot listen: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let port = UInt16(bigEndian: address.sin_port)
        self.port = port
        // A backlog of 0 holds one completed connection; more fill the queue of half-open ones.
        for _ in 0..<3 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            fillers.append(filler)
        }
        Thread.sleep(forTimeInterval: 0.2)
    }

    func close() {
        for filler in fillers { Glibc.close(filler) }
        Glibc.close(listener)
    }
}
