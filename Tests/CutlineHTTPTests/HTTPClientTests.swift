import CutlineHTTP
import CutlineTestSupport
import Crypto
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
        server = try LoopbackServer(["python3", TestEnvironment.repository.appendingPathComponent("Tests/Support/http-fixture-server.py").path, "{port}", directory.path])
        var configuration = HTTPClient.Configuration()
        configuration.backoffInitial = .milliseconds(10)
        configuration.timeout = .seconds(10)
        client = HTTPClient(configuration: configuration)
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
        let response = try await client.expectSuccess(HTTPRequest(method: .put, url: url("/echo/x"), body: .file(path: source.path, offset: 10, length: 5)))
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
            guard case .network(_, let message) = error.kind else { Issue.record("not a network error: \(error)"); return }
            #expect(message.lowercased().contains("connect"))
        }
    }

    @Test func slowAnswerTimesOut() async throws {
        do {
            _ = try await client.send(HTTPRequest(method: .get, url: url("/slow?ms=3000"), retryable: false), timeout: .milliseconds(300))
            Issue.record("a slow answer beat its timeout")
        } catch let error as HTTPError {
            guard case .network(let code, _) = error.kind else { Issue.record("not a network error: \(error)"); return }
            #expect(code == 28, "CURLE_OPERATION_TIMEDOUT")
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
