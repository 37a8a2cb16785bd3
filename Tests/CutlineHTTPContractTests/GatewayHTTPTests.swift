import ArgumentParser
import CutlineCore
import CutlineJobStore
import CutlineProductTestSupport
import CutlineServiceHost
import CutlineSettings
import CutlineStorage
import CutlineTestSupport
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import CutlineGatewayApp

@Suite(.serialized, .timeLimit(.minutes(5)))
struct GatewayHTTPTests {
    static let video = TestEnvironment.fixtures.appendingPathComponent("media/bikes.mp4")

    @Test func singleUploadGoesStraightToTheEmbeddedStoreAndTheJobIsCreated() async throws {
        let server = try await RunningGateway()
        defer { Teardowns.stop { await server.stop() } }
        let initiated = try server.initiate(Self.video)
        #expect(initiated.status == 201, "\(String(decoding: initiated.body, as: UTF8.self))")
        let jobID = try #require(initiated.json["job_id"] as? String)
        let upload = try #require(initiated.json["upload"] as? [String: Any])
        #expect(upload["kind"] as? String == "single" && upload["method"] as? String == "PUT")
        let url = try #require(upload["url"] as? String)
        let headers = try #require(upload["headers"] as? [String: String])
        #expect(url.hasPrefix("\(server.base.absoluteString)/blob/uploads/\(jobID)/source?"))

        // The browser's PUT, with exactly the headers it was given.
        let put = try server.curl(url, ["-X", "PUT", "--data-binary", "@\(Self.video.path)"] + headers.flatMap { ["-H", "\($0.key): \($0.value)"] })
        #expect(put.status == 200)
        let stored = try await server.gateway.objects.get(key: "uploads/\(jobID)/source", range: nil)
        #expect(Data(stored) == (try Data(contentsOf: Self.video)))

        // The relay delivers CREATED to the status store within moments; until then the Gateway
        // answers from its own record (version 0).
        var status = try server.curl("/api/jobs/\(jobID)/status")
        for _ in 0..<200 where status.json["version"] as? Int == 0 {
            try await Task.sleep(for: .milliseconds(20))
            status = try server.curl("/api/jobs/\(jobID)/status")
        }
        #expect(status.status == 200)
        #expect(status.json["state"] as? String == "CREATED")
        #expect(status.json["version"] as? Int == Int(StatusVersion(attempt: 1, state: .created, clipsDone: 0).value))
        let etag = try #require(status.headers["etag"])
        let unchanged = try server.curl("/api/jobs/\(jobID)/status", ["-H", "If-None-Match: \(etag)"])
        #expect(unchanged.status == 304 && unchanged.body.isEmpty)

        let recent = try server.curl("/api/jobs?limit=5")
        let listed = try #require(recent.json["jobs"] as? [[String: Any]])
        #expect(listed.first?["job_id"] as? String == jobID)
        #expect(listed.first?["filename"] as? String == "bikes.mp4")
    }

    /// DNS rebinding: a page on a name rebound to this address sends that name as Host; the Gateway
    /// answers only to its public URL's name and to loopback names.
    @Test func aHostThatIsNotTheGatewaysIsMisdirected() async throws {
        let server = try await RunningGateway()
        defer { Teardowns.stop { await server.stop() } }
        let port = server.base.port!
        for host in ["evil.example", "evil.example:\(port)", "127.0.0.1.evil.example:\(port)", "127.0.0.1:\(port + 1)x"] {
            let answer = try server.curl("/api/jobs", ["-H", "Host: \(host)"])
            #expect(answer.status == 421 && answer.errorCode == "wrong_host", "Host: \(host)")
        }
        let page = try server.curl("/", ["-H", "Host: evil.example"])
        #expect(page.status == 421)
        for host in ["127.0.0.1:\(port)", "localhost:9", "[::1]"] {
            #expect(try server.curl("/api/jobs", ["-H", "Host: \(host)"]).status == 200, "Host: \(host)")
        }
        // A signed URL carries its own authority: a MediaProcessor in another container reads it by the
        // Gateway's internal name (compose's `gateway:8080`); without its signature the name gets nothing.
        try await server.gateway.objects.put(key: "clips/c/0.mp4", bytes: [1, 2, 3], contentType: "video/mp4")
        let signed = try server.gateway.objects.presignedGet(key: "clips/c/0.mp4", downloadName: nil, expires: .seconds(60))
        let internalName = try server.curl(signed.absoluteString, ["-H", "Host: gateway:8080"])
        #expect(internalName.status == 200 && internalName.body == Data([1, 2, 3]), "\(internalName.status)")
        let unsigned = try server.curl("/blob/clips/c/0.mp4", ["-H", "Host: gateway:8080"])
        #expect(unsigned.status == 403, "\(unsigned.status)")
    }

    @Test func uploadURLRefusesAnotherSizeTypeOrSignature() async throws {
        let server = try await RunningGateway()
        defer { Teardowns.stop { await server.stop() } }
        let initiated = try server.initiate(Self.video)
        let upload = try #require(initiated.json["upload"] as? [String: Any])
        let url = try #require(upload["url"] as? String)
        let short = server.data.appendingPathComponent("short.mp4")
        try Data([1, 2, 3]).write(to: short)
        let wrongSize = try server.curl(url, ["-X", "PUT", "-H", "Content-Type: video/mp4", "--data-binary", "@\(short.path)"])
        #expect(wrongSize.status == 403 && wrongSize.errorCode == "forbidden", "\(wrongSize.errorMessage)")
        let wrongType = try server.curl(url, ["-X", "PUT", "-H", "Content-Type: text/plain", "--data-binary", "@\(Self.video.path)"])
        #expect(wrongType.status == 403)
        let tampered = url.replacingOccurrences(of: "signature=", with: "signature=00")
        let forged = try server.curl(tampered, ["-X", "PUT", "-H", "Content-Type: video/mp4", "--data-binary", "@\(Self.video.path)"])
        #expect(forged.status == 403)
        #expect(try await server.gateway.objects.head(key: "uploads/\(initiated.json["job_id"] as! String)/source") == nil, "nothing stored")
    }

    /// Downloads stream from disk with single ranges (a video player seeks), suffix ranges included.
    @Test func downloadsAnswerRangesAsRFC9110Says() async throws {
        let server = try await RunningGateway()
        defer { Teardowns.stop { await server.stop() } }
        let bytes = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await server.gateway.objects.put(key: "clips/c/0.mp4", bytes: bytes, contentType: "video/mp4")
        let url = try server.gateway.objects.presignedGet(key: "clips/c/0.mp4", downloadName: "Grüße clip 1.mp4", expires: .seconds(60))
            .absoluteString
        let whole = try server.curl(url)
        #expect(whole.status == 200 && [UInt8](whole.body) == bytes)
        #expect(whole.headers["content-type"] == "video/mp4" && whole.headers["accept-ranges"] == "bytes")
        #expect(whole.headers["content-disposition"]?.contains("filename*=UTF-8''Gr%C3%BC%C3%9Fe%20clip%201.mp4") == true)
        let middle = try server.curl(url, ["-H", "Range: bytes=1000-1999"])
        #expect(middle.status == 206 && [UInt8](middle.body) == Array(bytes[1000...1999]))
        #expect(middle.headers["content-range"] == "bytes 1000-1999/3000000")
        let suffix = try server.curl(url, ["-H", "Range: bytes=-100"])
        #expect(suffix.status == 206 && [UInt8](suffix.body) == Array(bytes[(3_000_000 - 100)...]), "the last 100 bytes, not the first 101")
        let open = try server.curl(url, ["-H", "Range: bytes=2999990-"])
        #expect([UInt8](open.body) == Array(bytes[2_999_990...]))
        let beyond = try server.curl(url, ["-H", "Range: bytes=3000000-"])
        #expect(beyond.status == 416 && beyond.headers["content-range"] == "bytes */3000000")
        let head = try server.curl(url, ["-I"])
        #expect(head.status == 200 && head.headers["content-length"] == "3000000")
        let expired = try server.gateway.objects.presignedGet(key: "clips/c/0.mp4", downloadName: nil, expires: .seconds(-10)).absoluteString
        #expect(try server.curl(expired).status == 403)
    }

    /// A large file goes up in parts; after a drop the parts endpoint says which are stored and gives
    /// fresh URLs for the rest.
    @Test func multipartUploadResumesFromTheStoredParts() async throws {
        let server = try await RunningGateway(environment: ["CUTLINE_UPLOAD_MULTIPART_THRESHOLD": "\(5 << 20)"])
        defer { Teardowns.stop { await server.stop() } }
        let file = server.data.appendingPathComponent("big.mp4")
        let bytes = (0..<(40 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try Data(bytes).write(to: file)
        let initiated = try server.initiate(file)
        #expect(initiated.status == 201)
        let jobID = try #require(initiated.json["job_id"] as? String)
        let upload = try #require(initiated.json["upload"] as? [String: Any])
        #expect(upload["kind"] as? String == "multipart")
        let partSize = try #require(upload["part_size"] as? Int)
        let parts = try #require(upload["parts"] as? [[String: Any]])
        #expect(parts.count == (bytes.count + partSize - 1) / partSize)
        func send(_ part: [String: Any], extra: Int = 0) throws -> Int {
            let number = part["number"] as! Int
            let slice = Data(bytes[((number - 1) * partSize)..<min(bytes.count, number * partSize)]) + Data(count: extra)
            let body = server.data.appendingPathComponent("part-\(number)")
            try slice.write(to: body)
            return try server.curl(part["url"] as! String, ["-X", "PUT", "--data-binary", "@\(body.path)"]).status
        }
        // Each part's URL signs its length: the last part's too (its remainder), so a byte more is refused.
        #expect(try send(parts[0], extra: 1) == 403)
        #expect(try send(parts[parts.count - 1], extra: 1) == 403)
        #expect(try send(parts[0]) == 200)
        let resumed = try server.curl("/api/upload/\(jobID)/parts")
        #expect(resumed.status == 200)
        #expect((resumed.json["done"] as? [[String: Any]])?.map { $0["number"] as? Int } == [1])
        let rest = try #require(resumed.json["parts"] as? [[String: Any]])
        #expect(rest.map { $0["number"] as? Int } == Array(2...parts.count))
        for part in rest { #expect(try send(part) == 200) }
        let listed = try await server.gateway.objects.listParts(
            key: "uploads/\(jobID)/source", uploadID: try #require(try await server.gateway.jobs.job(try JobID(validating: jobID))?.uploadID))
        #expect(listed.map(\.size).reduce(0, +) == Int64(bytes.count))
    }

    @Test(arguments: [
        (#"{"filename": "a.mp4", "content_type": "video/mp4""#, 400, "bad_request", "JSON"),
        (#"{"filename": "a.mp4", "content_type": "video/mp4", "size": "big"}"#, 400, "bad_request", "size must be an integer"),
        (#"{"content_type": "video/mp4", "size": 10}"#, 400, "bad_request", "filename is missing"),
        (#"{"filename": "a.txt", "content_type": "text/plain", "size": 10}"#, 415, "unsupported_media_type", "not a video type"),
        (#"{"filename": "a.mp4", "content_type": "video/mp4", "size": 0}"#, 400, "bad_request", "size"),
        (#"{"filename": "a.mp4", "content_type": "video/mp4", "size": 99999999999}"#, 413, "too_large", "CUTLINE_UPLOAD_MAX_BYTES"),
        (#"[1, 2]"#, 400, "bad_request", "must be an object"),
    ])
    func badInitiateIsRefusedWithAReason(body: String, status: Int, code: String, mentions: String) async throws {
        let server = try await RunningGateway(environment: ["CUTLINE_UPLOAD_MAX_BYTES": "\(1 << 30)"])
        defer { Teardowns.stop { await server.stop() } }
        let answer = try server.postJSON("/api/upload/initiate", body)
        #expect(answer.status == status && answer.errorCode == code, "\(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
        #expect(answer.errorMessage.contains(mentions), "\(answer.errorMessage)")
        #expect(try await server.gateway.jobs.recent(limit: 10).isEmpty, "no job is created")
    }

    @Test func badIDsUnknownJobsAndRoutesGetJSONErrors() async throws {
        let server = try await RunningGateway()
        defer { Teardowns.stop { await server.stop() } }
        let malformed = try server.curl("/api/jobs/not-a-uuid/status")
        #expect(malformed.status == 400 && malformed.errorMessage.contains("not a job id"))
        let unknown = try server.curl("/api/jobs/\(JobID.make())/status")
        #expect(unknown.status == 404 && unknown.errorCode == "not_found")
        let noRoute = try server.curl("/api/nothing-here")
        #expect(noRoute.status == 404 && noRoute.errorCode == "not_found")
        let badLimit = try server.curl("/api/jobs?limit=0")
        #expect(badLimit.status == 400 && badLimit.errorMessage.contains("limit"))
        let single = try server.initiate(ProductFixtures.bikes)
        let parts = try server.curl("/api/upload/\(single.json["job_id"] as! String)/parts")
        #expect(parts.status == 409 && parts.errorMessage.contains("single upload"))
    }

    @Test func apiTokenGuardsTheAPIButNotSignedURLs() async throws {
        let token = "a-token-long-enough-to-be-safe"
        let server = try await RunningGateway(environment: ["CUTLINE_API_TOKEN": token])
        defer { Teardowns.stop { await server.stop() } }
        let refused = try server.curl("/api/jobs")
        #expect(refused.status == 401 && refused.errorCode == "unauthorized" && refused.headers["www-authenticate"] == "Bearer")
        let wrong = try server.curl("/api/jobs", ["-H", "Authorization: Bearer not-the-token-at-all-00"])
        #expect(wrong.status == 401)
        #expect(try server.curl("/api/jobs", ["-H", "Authorization: Bearer \(token)"]).status == 200)
        try await server.gateway.objects.put(key: "clips/t/0.mp4", bytes: [5], contentType: "video/mp4")
        let url = try server.gateway.objects.presignedGet(key: "clips/t/0.mp4", downloadName: nil, expires: .seconds(60)).absoluteString
        #expect(try server.curl(url).status == 200)
    }

    /// The contract is served, and it is a valid OpenAPI 3.1 document (checked by an independent validator).
    @Test func openAPIDocumentIsServedAndValid() async throws {
        let server = try await RunningGateway()
        defer { Teardowns.stop { await server.stop() } }
        let answer = try server.curl("/api/openapi.yaml")
        #expect(answer.status == 200 && answer.headers["content-type"]?.hasPrefix("application/yaml") == true)
        let file = server.data.appendingPathComponent("openapi.yaml")
        try answer.body.write(to: file)
        let check = try ChildProcess.run([
            "python3", "-c",
            "import sys, yaml; from openapi_spec_validator import validate; validate(yaml.safe_load(open(sys.argv[1]))); print('valid')", file.path,
        ])
        #expect(check.code == 0 && check.stdout.contains("valid"), "\(check.stderr)")
    }
}

/// The Gateway's kept status answers: one per job, the latest version only, for a bounded time and count.
@Suite struct StatusAnswersTests {
    @Test func anAnswerIsServedOnlyForItsVersionAndWithinItsLifetime() {
        let answers = StatusAnswers(lifetime: .seconds(10), capacity: 4)
        let job = JobID.make()
        let start = ContinuousClock.now
        answers.keep(job, version: 5, body: ByteBuffer(string: "five"), now: start)
        #expect(answers.answer(job, version: 5, now: start + .seconds(9)) == ByteBuffer(string: "five"))
        #expect(answers.answer(job, version: 6, now: start) == nil, "another version is read afresh")
        #expect(answers.answer(job, version: 5, now: start + .seconds(10)) == nil, "expired: its URLs would be old")
        // A slower request finishing late does not put an older answer back.
        answers.keep(job, version: 7, body: ByteBuffer(string: "seven"), now: start)
        answers.keep(job, version: 6, body: ByteBuffer(string: "six"), now: start)
        #expect(answers.answer(job, version: 7, now: start) == ByteBuffer(string: "seven"))
        #expect(answers.answer(job, version: 6, now: start) == nil)
    }

    @Test func aFreshAnswerIsServedWithoutAReadUntilForgotten() {
        let answers = StatusAnswers(lifetime: .seconds(10), fresh: .milliseconds(500))
        let job = JobID.make()
        let start = ContinuousClock.now
        answers.keep(job, version: 3, body: ByteBuffer(string: "three"), now: start)
        #expect(answers.recent(job, now: start + .milliseconds(499))?.version == 3)
        #expect(answers.recent(job, now: start + .milliseconds(500)) == nil, "older than fresh: the store is asked")
        // The store says the version is unchanged: fresh again for another 0.5 s, the same answer.
        #expect(answers.answer(job, version: 3, now: start + .seconds(2)) == ByteBuffer(string: "three"))
        #expect(answers.recent(job, now: start + .milliseconds(2400))?.version == 3)
        #expect(answers.recent(job, now: start + .milliseconds(2500)) == nil)
        answers.forget(job)
        #expect(answers.recent(job, now: start) == nil)
    }

    @Test func whileOnePollAsksTheStoreTheOthersTakeTheKeptAnswer() {
        let answers = StatusAnswers(lifetime: .seconds(10), fresh: .milliseconds(500))
        let job = JobID.make()
        let start = ContinuousClock.now
        #expect(answers.claimRefresh(job, now: start) == nil, "nothing kept: this poll reads the store")
        answers.keep(job, version: 4, body: ByteBuffer(string: "four"), now: start)
        let stale = start + .seconds(1)
        #expect(answers.claimRefresh(job, now: stale) == nil, "the first poll after it went stale asks the store")
        #expect(answers.claimRefresh(job, now: stale)?.version == 4, "the next ones take the kept answer meanwhile")
        answers.refreshed(job)
        #expect(answers.claimRefresh(job, now: stale) == nil, "once that poll is done, the next stale one asks again")
    }

    @Test func pastItsCapacityTheOldestHalfIsDropped() {
        let answers = StatusAnswers(lifetime: .seconds(10), capacity: 4)
        let jobs = (0..<5).map { _ in JobID.make() }
        let start = ContinuousClock.now
        for (offset, job) in jobs.enumerated() {
            answers.keep(job, version: 1, body: ByteBuffer(string: "\(offset)"), now: start + .milliseconds(offset))
        }
        #expect(jobs.map { answers.answer($0, version: 1, now: start) != nil } == [false, false, true, true, true])
    }
}
