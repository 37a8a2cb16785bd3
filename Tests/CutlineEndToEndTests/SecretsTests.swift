import CutlineProductTestSupport
import CutlineTestSupport
import Foundation
import Testing

/// No secret reaches a log line, an HTTP answer or a readable file: the three executables, at debug
/// level, with known values in every secret variable, run one job in each mode.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct SecretsTests {
    /// Letters, digits and '-' only, so no quoting or escaping in a log or JSON could hide a match.
    static let secrets = [
        "CUTLINE_RPC_SECRET": "rpc-secret-5f1c2a9e7b3d4c6a8e0f",
        "CUTLINE_API_TOKEN": "api-token-8d2e4f6a1b3c5d7e9f0a",
        "GEMINI_API_KEY": "gemini-key-3a5c7e9b1d2f4a6c8e0b",
        "CUTLINE_TEXT_OPENAI_KEY": "openai-key-7b9d1f3a5c2e4b6d8f0a",
        "AWS_SESSION_TOKEN": "session-token-2c4e6a8b0d1f3a5c7e9b",
    ]

    @Test func embeddedModeLogsAndAnswersNoSecret() async throws {
        var environment = Self.secrets
        environment["AWS_ACCESS_KEY_ID"] = "AKIDEMBEDDED0000TEST"
        environment["AWS_SECRET_ACCESS_KEY"] = "aws-secret-9e8d7c6b5a4f3e2d1c0b"
        try await Self.runOneJob(environment, secrets: environment)
    }

    @Test(.enabled(if: SeaweedFS.available, "needs weed and moto_server (scripts/bootstrap installs them)"))
    func s3AndDynamoDBModeLogsAndAnswersNoSecret() async throws {
        let servers = try AWSServers(bucket: "secrets-\(UInt32.random(in: 0...UInt32.max))", table: "secrets-jobs", browserUploads: false)
        defer { servers.stop() }
        // SeaweedFS checks the key pair it knows; those are the known AWS values here. It refuses a
        // session token it did not issue (403 on every request), so this mode runs with long-term keys;
        // the embedded mode has the token in its environment.
        var environment = servers.environment.merging(Self.secrets) { _, new in new }
        environment.removeValue(forKey: "AWS_SESSION_TOKEN")
        let secrets = environment.filter { Self.secrets[$0.key] != nil || $0.key == "AWS_SECRET_ACCESS_KEY" || $0.key == "AWS_ACCESS_KEY_ID" }
        try await Self.runOneJob(environment, secrets: secrets)
    }

    /// The secret files a first start creates are 0600 from their creation: strace (Debian) shows each
    /// opened with O_CREAT and mode 0600, and never chmod-ed afterwards.
    @Test func secretFilesAreCreatedPrivateNotNarrowedLater() async throws {
        let data = try TestEnvironment.temporaryDirectory("secret-files")
        defer { try? FileManager.default.removeItem(at: data) }
        let trace = data.appendingPathComponent("trace").path
        let root = data.appendingPathComponent("data")
        let port = TestEnvironment.freePorts(2)
        var environment = ProcessInfo.processInfo.environment
        environment.merge([
            "CUTLINE_DATA_DIR": root.path, "CUTLINE_GATEWAY_HTTP_LISTEN": "127.0.0.1:\(port[0])", "CUTLINE_PUBLIC_URL": "http://127.0.0.1:\(port[0])",
            "CUTLINE_GATEWAY_RPC_LISTEN": "127.0.0.1:\(port[1])",
        ]) { _, new in new }
        environment.removeValue(forKey: "CUTLINE_RPC_SECRET")
        // A permissive umask, so modes come from the code, not from the caller.
        let gateway = try ChildProcess(
            [
                "sh", "-c",
                "umask 000; exec strace -f -qq -e trace=openat,open,creat,chmod,fchmod,fchmodat,mkdir,mkdirat -o \(trace) \(TestEnvironment.executable("cutline-gateway"))",
            ],
            environment: environment, captureIn: data)
        defer { gateway.stop() }
        let recorder = HTTPRecorder(base: "http://127.0.0.1:\(port[0])", token: "")
        try await recorder.waitUntilServing()
        // The Gateway is strace's child: a SIGTERM to strace would only detach it and leave it running.
        let traced = try ChildProcess.run(["pgrep", "-P", "\(gateway.pid)"]).stdout.split(separator: "\n").compactMap { pid_t($0) }
        try #require(traced.count == 1, "strace traces \(traced)")
        kill(traced[0], SIGTERM)
        #expect(await Task.detached { gateway.wait(timeout: 15) }.value == 0, "the traced Gateway did not stop")

        let calls = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        for name in ["rpc.secret", "blob.secret"] {
            let creations = calls.filter { $0.contains("\(name).") && $0.contains("O_CREAT") }
            #expect(!creations.isEmpty, "no creation of \(name) traced")
            #expect(creations.allSatisfy { $0.contains(", 0600)") }, "\(creations)")
            let narrowed = calls.filter { $0.contains("chmod") && $0.contains(name) }
            #expect(narrowed.isEmpty, "\(narrowed)")
            let mode = try Self.mode(root.appendingPathComponent(name).path)
            #expect(mode == 0o600, "\(name): \(String(mode, radix: 8))")
        }
        // The database's first creation is 0600 (SQLite's own later opens find the file there).
        let database = calls.first { $0.contains("gateway.sqlite\"") && $0.contains("O_CREAT") }
        #expect(database?.contains(", 0600)") == true, "\(database ?? "no creation of gateway.sqlite traced")")
        #expect(try Self.mode(root.path) == 0o700)
        #expect(try Self.mode(root.appendingPathComponent("gateway.sqlite").path) & 0o077 == 0)
    }

    /// Starts the three services, runs a job with varied texts to COMPLETED, stops them, and looks
    /// for every secret value in every log line and HTTP answer, and at the data directory's modes.
    static func runOneJob(_ extra: [String: String], secrets: [String: String]) async throws {
        let data = try TestEnvironment.temporaryDirectory("secrets")
        let logs = try TestEnvironment.temporaryDirectory("secrets-logs")
        defer {
            try? FileManager.default.removeItem(at: data)
            try? FileManager.default.removeItem(at: logs)
        }
        // A data directory others can read, as `mkdir -p` under umask 022 leaves it: it is narrowed.
        try FileManager.default.createDirectory(
            at: data.appendingPathComponent("data"), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let ports = TestEnvironment.freePorts(4)
        var environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
        environment.merge([
            "CUTLINE_DATA_DIR": data.appendingPathComponent("data").path, "CUTLINE_LOG_LEVEL": "debug", "CUTLINE_TEXT_ENGINE": "offline",
            "CUTLINE_GATEWAY_HTTP_LISTEN": "127.0.0.1:\(ports[0])", "CUTLINE_PUBLIC_URL": "http://127.0.0.1:\(ports[0])",
            "CUTLINE_GATEWAY_RPC_LISTEN": "127.0.0.1:\(ports[1])",
            "CUTLINE_MEDIA_RPC_LISTEN": "127.0.0.1:\(ports[2])", "CUTLINE_MEDIA_ADDRESS": "127.0.0.1:\(ports[2])",
            "CUTLINE_TEXT_RPC_LISTEN": "127.0.0.1:\(ports[3])", "CUTLINE_TEXT_ADDRESS": "127.0.0.1:\(ports[3])",
        ]) { _, new in new }
        var services: [(String, ChildProcess)] = []
        for name in ["cutline-text", "cutline-media-processor", "cutline-gateway"] {
            let directory = logs.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            services.append((name, try ChildProcess([TestEnvironment.executable(name)], environment: environment, captureIn: directory)))
        }
        let client = HTTPRecorder(base: "http://127.0.0.1:\(ports[0])", token: extra["CUTLINE_API_TOKEN"]!)
        do {
            try await client.waitUntilServing()
            let video = TestEnvironment.fixtures.appendingPathComponent("media/bigbuckbunny.mp4")
            let size = try FileManager.default.attributesOfItem(atPath: video.path)[.size] as! Int
            let initiated = try client.json(
                "POST", "/api/upload/initiate", #"{"filename": "bunny.mp4", "content_type": "video/mp4", "size": \#(size)}"#)
            let jobID = try #require(initiated["job_id"] as? String)
            let upload = try #require(initiated["upload"] as? [String: Any])
            let headers = (upload["headers"] as? [String: String] ?? [:]).flatMap { ["-H", "\($0.key): \($0.value)"] }
            let put = try client.curl(["-X", "PUT"] + headers + ["--data-binary", "@\(video.path)", upload["url"] as! String])
            #expect(put.status == 200, "\(put.text.suffix(600))")
            let cutting = #"{"mode": "fixed", "seconds": 2}"#
            _ = try client.json("POST", "/api/video/analyze-duration", #"{"job_id": "\#(jobID)", "cutting": \#(cutting)}"#)
            let started = try client.json(
                "POST", "/api/upload/complete",
                #"{"job_id": "\#(jobID)", "cutting": \#(cutting), "text": {"mode": "vary", "base_text": "Watch this amazing trick"}}"#)
            #expect(started["job_id"] as? String == jobID, "\(started)")
            let deadline = ContinuousClock.now + .seconds(240)
            var state = ""
            while ContinuousClock.now < deadline {
                let status = try client.json("GET", "/api/jobs/\(jobID)/status", nil)
                state = status["state"] as? String ?? ""
                if ["COMPLETED", "FAILED", "CANCELLED"].contains(state) {
                    let clips = status["clips"] as? [[String: Any]] ?? []
                    if let url = clips.first?["url"] as? String { _ = try client.curl(["-o", "/dev/null", url]) }
                    #expect(clips.count == 3, "\(status)")
                    break
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(state == "COMPLETED")
            // The errors a stranger can provoke answer without secrets too.
            _ = try client.curl([
                "-X", "POST", "-H", "Content-Type: application/json", "-H", "Authorization: Bearer wrong-token-0000000000", "--data", "{}",
                "\(client.base)/api/upload/initiate",
            ])
            _ = try client.curl(["\(client.base)/api/jobs/\(jobID)/status?x=1", "-H", "Authorization: Bearer \(client.token)"])
        } catch {
            for (_, service) in services { service.stop() }
            throw error
        }
        for (_, service) in services {
            service.signal(SIGTERM)
            _ = await Task.detached { service.wait(timeout: 15) }.value
        }

        var lines = 0
        for (name, service) in services {
            let output = service.standardError + service.standardOutput
            lines += output.split(separator: "\n").count
            #expect(output.contains("level=debug") || output.contains("\"level\":\"debug\""), "\(name) logged nothing at debug level")
            for (variable, value) in secrets {
                let hits = output.split(separator: "\n").filter { $0.contains(value) }
                #expect(hits.isEmpty, "\(name) logged \(variable): \(hits.prefix(2))")
            }
        }
        #expect(lines > 20, "only \(lines) log lines")
        // S3's signed URLs carry the access key's id and, with temporary credentials, the session token:
        // that is how S3 knows who signed them. Those two query parameters are the only place allowed.
        let answers = client.transcript.replacingOccurrences(
            of: #"X-Amz-(Credential|Security-Token)=[^&"\s]*"#, with: "", options: .regularExpression)
        #expect(client.exchanges >= 8)
        for (variable, value) in secrets where answers.contains(value) {
            Issue.record("an HTTP answer holds \(variable)")
        }

        // The data directory and what is in it: the owner's alone.
        let root = data.appendingPathComponent("data").path
        let rootMode = try Self.mode(root)
        #expect(rootMode & 0o077 == 0, "data directory mode \(String(rootMode, radix: 8))")
        let files = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.contains(".sqlite") || $0.hasSuffix(".secret") }
        #expect(files.contains("gateway.sqlite") && files.contains("media.sqlite"), "\(files)")
        for file in files {
            let mode = try Self.mode("\(root)/\(file)")
            #expect(mode & 0o077 == 0, "\(file) has mode \(String(mode, radix: 8))")
        }
    }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
    }
}

/// curl against the Gateway, keeping every answer (status line, headers, body) to look through.
final class HTTPRecorder: @unchecked Sendable {
    let base: String
    let token: String
    private(set) var transcript = ""
    private(set) var exchanges = 0

    init(base: String, token: String) {
        self.base = base
        self.token = token
    }

    struct Answer {
        let status: Int
        let text: String
    }

    func curl(_ arguments: [String]) throws -> Answer {
        let run = try ChildProcess.run(["curl", "-sS", "-i", "--max-time", "60"] + arguments + ["-w", "\n%{http_code}"])
        transcript += run.stdout + "\n"
        exchanges += 1
        let status = Int(run.stdout.split(separator: "\n").last ?? "") ?? 0
        return Answer(status: status, text: run.stdout)
    }

    /// An API call with the token; the JSON body of a 2xx answer.
    func json(_ method: String, _ path: String, _ body: String?) throws -> [String: Any] {
        var arguments = ["-X", method, "-H", "Authorization: Bearer \(token)"]
        if let body { arguments += ["-H", "Content-Type: application/json", "--data", body] }
        let answer = try curl(arguments + ["\(base)\(path)"])
        guard (200..<300).contains(answer.status) else {
            throw TestSupportError("\(method) \(path): HTTP \(answer.status): \(answer.text.suffix(400))")
        }
        let parts = answer.text.components(separatedBy: "\r\n\r\n")
        let json = parts.dropFirst().joined(separator: "\r\n\r\n").split(separator: "\n").dropLast().joined(separator: "\n")
        return (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
    }

    func waitUntilServing() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let health = try ChildProcess.run([
                "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(token)", "\(base)/api/health",
            ])
            if health.stdout == "200" { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSupportError("the Gateway at \(base) did not answer within 60 s")
    }
}
