import ArgumentParser
import Crypto
import CutlineCore
import CutlineGatewayApp
import CutlineJobFlow
import CutlineJobStore
import CutlineProductTestSupport
import CutlineSQLite
import CutlineSettings
import CutlineStorage
import CutlineTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// The HTTP contract (openapi.yaml) of every route and its errors, on the Gateway's router called in
/// process (`app.test(.router)`): real stores in a temporary directory, and no MediaProcessor or
/// TextService listening, so what needs them answers as it does when they are down. The live tests
/// (CutlineEndToEndTests) run the same routes with every service up.
@Suite struct RouterContractTests {
    /// A Gateway's parts built from settings as the executable builds them, with its router alone.
    struct Fixture {
        let data: URL
        let gateway: Gateway
        let app: Application<RouterResponder<APIRequestContext>>
        let publicURL: URL

        init(environment extra: [String: String] = [:], answers: StatusAnswers? = nil) throws {
            data = try TestEnvironment.temporaryDirectory("router-contract")
            let ports = TestEnvironment.freePorts(4)
            var environment = [
                "CUTLINE_DATA_DIR": data.path, "CUTLINE_GATEWAY_RPC_LISTEN": "127.0.0.1:\(ports[0])",
                "CUTLINE_GATEWAY_HTTP_LISTEN": "127.0.0.1:\(ports[1])", "CUTLINE_PUBLIC_URL": "http://127.0.0.1:\(ports[1])",
                // Nothing listens here: the services behind the Gateway are down.
                "CUTLINE_MEDIA_ADDRESS": "127.0.0.1:\(ports[2])", "CUTLINE_TEXT_ADDRESS": "127.0.0.1:\(ports[3])",
            ]
            environment.merge(extra) { _, new in new }
            let settings = try ServiceSettings(
                service: "gateway", defaultListen: "127.0.0.1:0", options: try ServiceOptions.parse([]),
                environment: environment)
            let http = try GatewayHTTPSettings(nil, environment: environment)
            gateway = try buildGateway(settings, http: http, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            publicURL = http.publicURL
            app = Application(
                router: buildRouter(
                    gateway.flow, answers: answers ?? StatusAnswers(lifetime: .seconds(1800)), apiToken: http.apiToken,
                    blobs: gateway.objects as? EmbeddedObjectStore, publicURL: http.publicURL))
        }

        func test(_ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void) async throws {
            defer { try? FileManager.default.removeItem(at: data) }
            try await app.test(.router, body)
        }
    }

    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    static func object(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
    }

    static func error(_ response: TestResponse) -> (code: String, message: String) {
        let error = object(response)["error"] as? [String: Any]
        return (error?["code"] as? String ?? "", error?["message"] as? String ?? "")
    }

    static func initiate(_ client: any TestClientProtocol, size: Int = 1000) async throws -> String {
        try await client.execute(
            uri: "/api/upload/initiate", method: .post, headers: jsonHeaders,
            body: json(#"{"filename": "holiday.mp4", "content_type": "video/mp4", "size": \#(size)}"#)
        ) { response in
            #expect(response.status == .created)
            return object(response)["job_id"] as? String ?? ""
        }
    }

    // MARK: Uploads

    @Test func initiateSignsOnePutForASmallFile() async throws {
        try await Fixture().test { client in
            try await client.execute(
                uri: "/api/upload/initiate", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"filename": "a.mp4", "content_type": "video/mp4", "size": 1000}"#)
            ) { response in
                #expect(response.status == .created)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let body = Self.object(response)
                let upload = body["upload"] as? [String: Any]
                #expect(upload?["kind"] as? String == "single" && upload?["method"] as? String == "PUT")
                #expect((upload?["url"] as? String)?.contains("/blob/uploads/") == true)
                #expect(body["expires_at"] is String && (try? JobID(validating: body["job_id"] as? String ?? "")) != nil)
            }
        }
    }

    @Test func initiateSignsPartsForALargeFileAndPartsResumesThem() async throws {
        try await Fixture(environment: ["CUTLINE_UPLOAD_MULTIPART_THRESHOLD": "5242880"]).test { client in
            let size = 40 << 20
            let jobID = try await Self.initiate(client, size: size)
            try await client.execute(uri: "/api/upload/\(jobID)/parts", method: .get) { response in
                #expect(response.status == .ok)
                let body = Self.object(response)
                #expect(body["part_size"] as? Int == 16 << 20 && body["parts_total"] as? Int == 3)
                #expect((body["parts"] as? [Any])?.count == 3 && (body["done"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test(arguments: [
        (#"{"filename": "", "content_type": "video/mp4", "size": 10}"#, HTTPResponse.Status.badRequest, "bad_request", "filename"),
        (#"{"filename": "a.mp4", "content_type": "text/plain", "size": 10}"#, .unsupportedMediaType, "unsupported_media_type", "not a video type"),
        (#"{"filename": "a.mp4", "content_type": "video/mp4", "size": 0}"#, .badRequest, "bad_request", "more than 0"),
        (#"{"filename": "a.mp4", "content_type": "video/mp4", "size": 99999999999}"#, .contentTooLarge, "too_large", "CUTLINE_UPLOAD_MAX_BYTES"),
        (#"{"filename": "a.mp4", "size": 10}"#, .badRequest, "bad_request", "content_type is missing"),
        (#"{"filename": "a.mp4", "content_type": "video/mp4", "size": "ten"}"#, .badRequest, "bad_request", "size must be an integer"),
        (#"not json"#, .badRequest, "bad_request", "not valid JSON"),
    ])
    func initiateRefusesWhatItCannotTake(body: String, status: HTTPResponse.Status, code: String, words: String) async throws {
        try await Fixture().test { client in
            try await client.execute(uri: "/api/upload/initiate", method: .post, headers: Self.jsonHeaders, body: Self.json(body)) { response in
                let error = Self.error(response)
                #expect(response.status == status && error.code == code && error.message.contains(words), "\(response.status) \(error)")
            }
        }
    }

    @Test func aBodyOverOneMebibyteIsRefused() async throws {
        try await Fixture().test { client in
            let padding = String(repeating: "x", count: (1 << 20) + 1)
            try await client.execute(
                uri: "/api/upload/initiate", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"filename": "\#(padding)", "content_type": "video/mp4", "size": 1}"#)
            ) { response in
                #expect(response.status == .contentTooLarge && Self.error(response).code == "too_large")
            }
        }
    }

    /// A form or text/plain POST needs no CORS preflight, so a page elsewhere could send one: only JSON is read.
    @Test(arguments: ["text/plain", "application/x-www-form-urlencoded", nil])
    func aBodyThatIsNotTypedAsJSONIsRefused(type: String?) async throws {
        try await Fixture().test { client in
            let headers: HTTPFields = type.map { [.contentType: $0] } ?? [:]
            try await client.execute(
                uri: "/api/upload/initiate", method: .post, headers: headers,
                body: Self.json(#"{"filename": "a.mp4", "content_type": "video/mp4", "size": 1000}"#)
            ) { response in
                #expect(response.status == .unsupportedMediaType && Self.error(response).code == "unsupported_media_type")
                #expect(Self.error(response).message.contains(type ?? "no type"))
            }
        }
    }

    /// A page elsewhere: an Origin that is not the page's own or loopback is a 403; the page's own is
    /// served. (The Host check is GatewayHTTPTests': here the test client always says localhost.)
    @Test func aPageElsewhereCannotUseTheAPI() async throws {
        let fixture = try Fixture()
        let own = fixture.publicURL
        try await fixture.test { client in
            let body = #"{"filename": "a.mp4", "content_type": "video/mp4", "size": 1000}"#
            for origin in ["http://evil.example", "null", "http://\(own.host!).evil.example:\(own.port!)"] {
                var headers = Self.jsonHeaders
                headers[.origin] = origin
                try await client.execute(uri: "/api/upload/initiate", method: .post, headers: headers, body: Self.json(body)) { response in
                    #expect(response.status == .forbidden && Self.error(response).code == "cross_origin", "Origin: \(origin)")
                }
            }
            for origin in ["http://\(own.host!):\(own.port!)", "http://localhost:3000"] {
                var headers = Self.jsonHeaders
                headers[.origin] = origin
                try await client.execute(uri: "/api/upload/initiate", method: .post, headers: headers, body: Self.json(body)) { response in
                    #expect(response.status == .created, "Origin: \(origin)")
                }
            }
        }
    }

    @Test func partsOfASingleUploadOrAnUnknownJobAreRefused() async throws {
        try await Fixture().test { client in
            let jobID = try await Self.initiate(client)
            try await client.execute(uri: "/api/upload/\(jobID)/parts", method: .get) { response in
                #expect(response.status == .conflict && Self.error(response).message.contains("single upload"))
            }
            try await client.execute(uri: "/api/upload/\(JobID.make())/parts", method: .get) { response in
                #expect(response.status == .notFound && Self.error(response).code == "not_found")
            }
            try await client.execute(uri: "/api/upload/not-a-job/parts", method: .get) { response in
                #expect(response.status == .badRequest && Self.error(response).message.contains("not a job id"))
            }
        }
    }

    // MARK: Jobs

    @Test func aNewJobReportsCreatedAndRevalidatesByItsETag() async throws {
        try await Fixture().test { client in
            let jobID = try await Self.initiate(client)
            let etag = try await client.execute(uri: "/api/jobs/\(jobID)/status", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Self.object(response)["state"] as? String == "CREATED")
                return response.headers[.eTag] ?? ""
            }
            #expect(etag.hasPrefix("\"v"))
            try await client.execute(uri: "/api/jobs/\(jobID)/status", method: .get, headers: [.ifNoneMatch: etag]) { response in
                #expect(response.status == .notModified)
            }
            try await client.execute(uri: "/api/jobs/\(JobID.make())/status", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    /// The ETag names the window the answer's URLs were signed in: once it turns, a browser revalidating
    /// gets a 200 with freshly signed URLs, not a 304 that keeps links about to expire.
    @Test func aStatusRevalidatedAfterItsURLsWindowIsAnsweredAfresh() async throws {
        try await Fixture(answers: StatusAnswers(lifetime: .seconds(1))).test { client in
            let jobID = try await Self.initiate(client)
            let first = try await client.execute(uri: "/api/jobs/\(jobID)/status", method: .get) { $0.headers[.eTag] ?? "" }
            var answered: (status: HTTPResponse.Status, etag: String) = (.notModified, first)
            let deadline = ContinuousClock.now + .seconds(5)
            while answered.status == .notModified, ContinuousClock.now < deadline {
                answered = try await client.execute(uri: "/api/jobs/\(jobID)/status", method: .get, headers: [.ifNoneMatch: first]) {
                    ($0.status, $0.headers[.eTag] ?? "")
                }
            }
            #expect(answered.status == .ok, "still 304 after the window turned")
            #expect(answered.etag != first && answered.etag.hasPrefix(String(first.prefix { $0 != "." })), "\(first) → \(answered.etag)")
        }
    }

    @Test func recentJobsAreListedNewestFirstWithinTheLimit() async throws {
        try await Fixture().test { client in
            let first = try await Self.initiate(client)
            let second = try await Self.initiate(client)
            try await client.execute(uri: "/api/jobs?limit=1", method: .get) { response in
                let jobs = Self.object(response)["jobs"] as? [[String: Any]] ?? []
                #expect(response.status == .ok && jobs.count == 1 && jobs.first?["job_id"] as? String == second)
                #expect(jobs.first?["filename"] as? String == "holiday.mp4" && jobs.first?["state"] as? String == "CREATED")
            }
            try await client.execute(uri: "/api/jobs", method: .get) { response in
                let ids = (Self.object(response)["jobs"] as? [[String: Any]] ?? []).compactMap { $0["job_id"] as? String }
                #expect(ids == [second, first])
            }
            try await client.execute(uri: "/api/jobs?limit=0", method: .get) { response in
                #expect(response.status == .badRequest && Self.error(response).message.contains("1 to 100"))
            }
        }
    }

    @Test func analyzeBeforeTheUploadArrivedIsAConflict() async throws {
        try await Fixture().test { client in
            let jobID = try await Self.initiate(client)
            try await client.execute(
                uri: "/api/video/analyze-duration", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 5}}"#)
            ) { response in
                #expect(response.status == .conflict && Self.error(response).message.contains("has not arrived"))
            }
        }
    }

    @Test func analyzeWithTheProcessorDownIsServiceUnavailable() async throws {
        let fixture = try Fixture()
        try await fixture.test { client in
            let jobID = try await Self.initiate(client, size: 4)
            try await fixture.gateway.objects.put(
                key: ObjectKeys.source(try JobID(validating: jobID)), bytes: [0, 0, 0, 0], contentType: "video/mp4")
            try await client.execute(
                uri: "/api/video/analyze-duration", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 5}}"#)
            ) { response in
                let error = Self.error(response)
                #expect(response.status == .serviceUnavailable && error.code == "media_unavailable", "\(error)")
                #expect(error.message.contains("the MediaProcessor could not probe the upload"))
            }
        }
    }

    @Test(arguments: [
        (#"{"job_id": "x", "cutting": {"mode": "fixed", "seconds": 5}}"#, "job_id \"x\" is not a job id"),
        (#"{"job_id": "JOB", "cutting": {"mode": "sliced"}}"#, #"cutting.mode is "fixed" or "random", not "sliced""#),
        (
            #"{"job_id": "JOB", "cutting": {"mode": "fixed", "seconds": 5}, "text": {"mode": "many"}}"#,
            #"text.mode is "single" or "vary" or "unique""#
        ),
        (#"{"job_id": "JOB"}"#, "cutting is missing"),
    ])
    func analyzeNamesTheFieldThatIsWrong(body: String, words: String) async throws {
        try await Fixture().test { client in
            let jobID = try await Self.initiate(client)
            try await client.execute(
                uri: "/api/video/analyze-duration", method: .post, headers: Self.jsonHeaders,
                body: Self.json(body.replacingOccurrences(of: "JOB", with: jobID))
            ) { response in
                let error = Self.error(response)
                #expect(response.status == .badRequest && error.message.contains(words), "\(error)")
            }
        }
    }

    @Test func aStoredJobThatCannotBeReadIsAServerErrorNamingIt() async throws {
        let fixture = try Fixture()
        try await fixture.test { client in
            let jobID = try await Self.initiate(client)
            try await fixture.gateway.database.write { connection in
                try connection.execute("UPDATE jobs SET probe = ? WHERE job_id = ?", [.text("{not json"), .text(jobID)])
            }
            try await client.execute(
                uri: "/api/video/analyze-duration", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 5}}"#)
            ) { response in
                let error = Self.error(response)
                #expect(response.status == .internalServerError && error.code == "job_corrupt", "\(error)")
                #expect(error.message.contains(jobID) && error.message.contains("probe"))
            }
        }
    }

    @Test func completeWithoutTextsOrUploadIsRefused() async throws {
        try await Fixture().test { client in
            let jobID = try await Self.initiate(client)
            try await client.execute(
                uri: "/api/upload/complete", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 5}}"#)
            ) { response in
                #expect(response.status == .badRequest && Self.error(response).message.contains("text is missing"))
            }
            try await client.execute(
                uri: "/api/upload/complete", method: .post, headers: Self.jsonHeaders,
                body: Self.json(
                    #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 5}, "text": {"mode": "single", "text": "hi"}}"#)
            ) { response in
                #expect(response.status == .conflict && Self.error(response).message.contains("has not arrived"))
            }
        }
    }

    @Test func cancelRecordsCancelledOnceEvenWithTheProcessorDown() async throws {
        try await Fixture().test { client in
            let jobID = try await Self.initiate(client)
            try await client.execute(uri: "/api/jobs/\(jobID)", method: .delete) { response in
                #expect(response.status == .accepted && Self.object(response)["state"] as? String == "CANCELLED")
            }
            try await client.execute(uri: "/api/jobs/\(jobID)/status", method: .get) { response in
                #expect(Self.object(response)["state"] as? String == "CANCELLED")
            }
            try await client.execute(uri: "/api/jobs/\(jobID)", method: .delete) { response in
                #expect(response.status == .conflict && Self.error(response).message.contains("nothing to cancel"))
            }
            try await client.execute(uri: "/api/jobs/\(JobID.make())", method: .delete) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    // MARK: Texts and previews

    @Test func variationsAreCheckedBeforeTheTextServiceIsAsked() async throws {
        try await Fixture().test { client in
            try await client.execute(
                uri: "/api/text/variations", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"base_text": "Big sale", "count": 0}"#)
            ) { response in
                let error = Self.error(response)
                #expect(response.status == .unprocessableContent && error.code == "bad_variations" && error.message.contains("count is 0"))
            }
            try await client.execute(
                uri: "/api/text/variations", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"base_text": "Big sale", "count": 3}"#)
            ) { response in
                let error = Self.error(response)
                #expect(response.status == .serviceUnavailable && error.code == "text_unavailable", "\(error)")
            }
        }
    }

    @Test func previewsOfAJobNotStartedOrWithTooLargeABodyAreRefused() async throws {
        try await Fixture().test { client in
            let jobID = try await Self.initiate(client)
            try await client.execute(uri: "/api/jobs/\(jobID)/preview?clip=0", method: .get) { response in
                #expect(response.status == .conflict && Self.error(response).message.contains("has not been started"))
            }
            let text = String(repeating: "x", count: 70 << 10)
            try await client.execute(
                uri: "/api/jobs/\(jobID)/preview", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"text": "\#(text)"}"#)
            ) { response in
                #expect(response.status == .contentTooLarge && Self.error(response).message.contains("\(64 << 10) bytes"))
            }
        }
    }

    // MARK: The rest of the doors

    @Test func healthSaysWhichServicesCannotBeReached() async throws {
        try await Fixture().test { client in
            try await client.execute(uri: "/api/health", method: .get) { response in
                let body = Self.object(response)
                #expect(response.status == .ok && response.headers[.cacheControl] == "no-store")
                #expect((body["media"] as? [String: Any])?["reachable"] as? Bool == false)
                #expect((body["text"] as? [String: Any])?["reachable"] as? Bool == false)
            }
        }
    }

    @Test func theContractAndThePageAreServed() async throws {
        try await Fixture().test { client in
            try await client.execute(uri: "/api/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("openapi: 3"))
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "text/html; charset=utf-8")
            }
            let etag = try await client.execute(uri: "/static/app.js", method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "text/javascript; charset=utf-8")
                return response.headers[.eTag] ?? ""
            }
            try await client.execute(uri: "/static/app.js", method: .get, headers: [.ifNoneMatch: etag]) { response in
                #expect(response.status == .notModified)
            }
            try await client.execute(uri: "/static/nothing.js", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    /// Hummingbird's router knows no route for a method it was not given: a 404 naming both.
    @Test func unknownRoutesAndMethodsAnswerInTheAPIsShape() async throws {
        try await Fixture().test { client in
            try await client.execute(uri: "/api/nothing", method: .get) { response in
                #expect(response.status == .notFound && Self.error(response).message.contains("no such route"))
            }
            try await client.execute(uri: "/api/upload/initiate", method: .get) { response in
                #expect(response.status == .notFound && Self.error(response).message == "no such route: GET /api/upload/initiate")
            }
        }
    }

    @Test func withATokenTheAPINeedsItAndThePageDoesNot() async throws {
        try await Fixture(environment: ["CUTLINE_API_TOKEN": "router-token-123456"]).test { client in
            try await client.execute(uri: "/api/jobs", method: .get) { response in
                #expect(response.status == .unauthorized && response.headers[.wwwAuthenticate] == "Bearer")
            }
            try await client.execute(uri: "/api/jobs", method: .get, headers: [.authorization: "Bearer router-token-123456"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    /// The page's sign-in: the token once, then an HttpOnly, SameSite=Strict cookie that opens the API
    /// until it expires, is signed out, or the token changes; a wrong or forged one opens nothing.
    @Test func signingInGivesACookieThatOpensTheAPIAndNothingElseDoes() async throws {
        let token = "router-token-123456"
        /// A session as the Gateway mints it: `EXPIRY.HEX(HMAC-SHA256(token, "cutline-session v1 EXPIRY"))`.
        @Sendable func session(expiring expiry: Int, key: String = token) -> String {
            let mac = HMAC<SHA256>.authenticationCode(for: Data("cutline-session v1 \(expiry)".utf8), using: SymmetricKey(data: Data(key.utf8)))
            return "\(expiry).\(mac.map { String(format: "%02x", $0) }.joined())"
        }
        @Sendable func jobs(_ client: any TestClientProtocol, cookie: String) async throws -> HTTPResponse.Status {
            try await client.execute(uri: "/api/jobs", method: .get, headers: [.cookie: "theme=dark; cutline_session=\(cookie)"]) { $0.status }
        }
        try await Fixture(environment: ["CUTLINE_API_TOKEN": token]).test { client in
            try await client.execute(
                uri: "/api/session", method: .post, headers: Self.jsonHeaders, body: Self.json(#"{"token": "not-the-token-000000"}"#)
            ) {
                response in
                #expect(response.status == .unauthorized && Self.error(response).message.contains("not this Gateway's token"))
                #expect(response.headers[.setCookie] == nil)
            }
            try await client.execute(
                uri: "/api/session", method: .post, headers: [.contentType: "text/plain"], body: Self.json(#"{"token": "\#(token)"}"#)
            ) {
                #expect($0.status == .unsupportedMediaType && $0.headers[.setCookie] == nil)
            }
            let cookie = try await client.execute(
                uri: "/api/session", method: .post, headers: Self.jsonHeaders, body: Self.json(#"{"token": "\#(token)"}"#)
            ) { response in
                #expect(response.status == .noContent)
                let set = try #require(response.headers[.setCookie])
                let attributes = Set(set.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
                #expect(attributes.isSuperset(of: ["httponly", "samesite=strict", "path=/api", "max-age=43200"]), "\(set)")
                #expect(!attributes.contains("secure"), "a plain-http public URL gets no Secure cookie, or the browser would drop it")
                return String(try #require(set.split(separator: ";").first).dropFirst("cutline_session=".count))
            }
            #expect(try await jobs(client, cookie: cookie) == .ok)
            let now = Int(Date().timeIntervalSince1970)
            #expect(try await jobs(client, cookie: session(expiring: now + 600)) == .ok, "the test mints sessions as the Gateway does")
            #expect(try await jobs(client, cookie: session(expiring: now - 1)) == .unauthorized, "an expired session opened the API")
            #expect(try await jobs(client, cookie: session(expiring: now + 600, key: "another-token-123456")) == .unauthorized)
            let forged = "\(now + 86400)" + cookie.drop { $0 != "." }
            #expect(try await jobs(client, cookie: forged) == .unauthorized, "a session's expiry was pushed back without the token")
            #expect(try await jobs(client, cookie: "garbage") == .unauthorized)
            try await client.execute(uri: "/api/session", method: .delete) { response in
                #expect(response.status == .noContent && response.headers[.setCookie]?.contains("Max-Age=0") == true)
            }
        }
        // Without a token there is nothing to sign in to, and saying so beats a cookie that means nothing.
        try await Fixture().test { client in
            try await client.execute(uri: "/api/session", method: .post, headers: Self.jsonHeaders, body: Self.json(#"{"token": "\#(token)"}"#)) {
                #expect($0.status == .badRequest && Self.error($0).message.contains("needs no sign-in"))
            }
        }
    }

    @Test func blobURLsWithoutAValidSignatureAreForbidden() async throws {
        try await Fixture().test { client in
            try await client.execute(uri: "/blob/uploads/x/source", method: .put, body: ByteBuffer(string: "data")) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/blob/uploads/x/source", method: .get) { response in
                #expect(response.status == .forbidden)
            }
        }
    }
}
