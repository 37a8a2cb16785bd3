import CutlineTestSupport
import Foundation
import Testing

/// The built executables, run as an operator would: start, answer `cutline health`, log structured
/// lines, stop cleanly on SIGTERM, and refuse bad settings with a message naming them.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ServiceExecutableTests {
    static let services = [
        ("cutline-gateway", "gateway", "CUTLINE_GATEWAY_RPC_LISTEN"),
        ("cutline-media-processor", "media", "CUTLINE_MEDIA_RPC_LISTEN"),
        ("cutline-text", "text", "CUTLINE_TEXT_RPC_LISTEN"),
    ]

    /// `cutline health --json` until the service answers, up to 30 s in all (each try waits at most
    /// 1 s): other suites may keep the machine busy.
    static func health(_ address: String, _ environment: [String: String]) async throws -> (code: Int32, stdout: String, stderr: String) {
        var health: (code: Int32, stdout: String, stderr: String) = (1, "", "")
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            health = try await Task.detached {
                try ChildProcess.run(
                    [TestEnvironment.executable("cutline"), "health", address, "--json", "--timeout", "1"], environment: environment)
            }.value
            if health.code == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return health
    }

    @Test(arguments: services)
    func serviceStartsAnswersHealthAndStopsCleanly(executable: String, name: String, listenVariable: String) async throws {
        let data = try TestEnvironment.temporaryDirectory(name)
        defer { try? FileManager.default.removeItem(at: data) }
        let address = "127.0.0.1:\(TestEnvironment.freePort())"
        var environment = ProcessInfo.processInfo.environment
        environment["CUTLINE_DATA_DIR"] = data.path
        environment[listenVariable] = address
        let service = try ChildProcess([TestEnvironment.executable(executable)], environment: environment, captureIn: data)
        defer { service.stop() }

        let health = try await Self.health(address, environment)
        #expect(health.code == 0, "cutline health: \(health.stderr)")
        let answer = try JSONSerialization.jsonObject(with: Data(health.stdout.utf8)) as? [String: Any]
        #expect(answer?["name"] as? String == name)
        #expect(answer?["in_flight"] as? Int == 0)

        service.signal(SIGTERM)
        let code = await Task.detached { service.wait(timeout: 15) }.value
        #expect(code == 0, "exit code after SIGTERM; log:\n\(service.standardError)")
        let log = service.standardError
        #expect(log.contains("level=info"))
        #expect(log.contains("msg=\"rpc server listening\"") && log.contains("address=\(address)"))
        #expect(log.contains("msg=\"rpc server stopped\""))
    }

    @Test(arguments: [
        (["--max-in-flight", "lots"], "CUTLINE_RPC_MAX_IN_FLIGHT (--max-in-flight)"),
        (["--listen", "127.0.0.1"], "CUTLINE_MEDIA_RPC_LISTEN (--listen)"),
        (["--log-format", "xml"], "CUTLINE_LOG_FORMAT (--log-format)"),
        (["--rpc-secret", "short"], "CUTLINE_RPC_SECRET (--rpc-secret)"),
        (["--sqs-queue-url", "cutline-jobs"], "CUTLINE_SQS_QUEUE_URL (--sqs-queue-url)"),
        (["--s3-bucket", "b-bucket", "--sqs-queue-url", "http://127.0.0.1:9/1/q", "--rpc-secret", "x"], "CUTLINE_RPC_SECRET (--rpc-secret)"),
    ])
    func badSettingStopsStartUpNamingIt(arguments: [String], named: String) throws {
        let data = try TestEnvironment.temporaryDirectory("bad")
        defer { try? FileManager.default.removeItem(at: data) }
        var environment = ProcessInfo.processInfo.environment
        environment["CUTLINE_DATA_DIR"] = data.path
        environment["CUTLINE_MEDIA_RPC_LISTEN"] = "127.0.0.1:\(TestEnvironment.freePort())"
        let result = try ChildProcess.run([TestEnvironment.executable("cutline-media-processor")] + arguments, environment: environment)
        #expect(result.code != 0)
        #expect(result.stderr.contains(named), "stderr: \(result.stderr)")
    }

    /// Secure by default: a Gateway other machines can reach needs a token, or to be declared open.
    @Test func aGatewayReachableFromOtherMachinesNeedsATokenOrToBeDeclaredOpen() async throws {
        let data = try TestEnvironment.temporaryDirectory("open-address")
        defer { try? FileManager.default.removeItem(at: data) }
        var environment = ProcessInfo.processInfo.environment
        environment["CUTLINE_DATA_DIR"] = data.path
        environment["CUTLINE_GATEWAY_RPC_LISTEN"] = "127.0.0.1:\(TestEnvironment.freePort())"
        environment["CUTLINE_GATEWAY_HTTP_LISTEN"] = "0.0.0.0:\(TestEnvironment.freePort())"
        environment["CUTLINE_API_TOKEN"] = nil
        environment["CUTLINE_API_OPEN"] = nil
        let refused = try ChildProcess.run([TestEnvironment.executable("cutline-gateway")], environment: environment, timeout: 30)
        #expect(refused.code != 0)
        #expect(refused.stderr.contains("CUTLINE_API_TOKEN") && refused.stderr.contains("CUTLINE_API_OPEN"), "stderr: \(refused.stderr)")

        for (variable, value) in [("CUTLINE_API_OPEN", "true"), ("CUTLINE_API_TOKEN", "a-token-of-sixteen-or-more")] {
            let allowed = environment.merging([variable: value]) { _, new in new }
            let address = allowed["CUTLINE_GATEWAY_RPC_LISTEN"]!
            let service = try ChildProcess([TestEnvironment.executable("cutline-gateway")], environment: allowed, captureIn: data)
            defer { service.stop() }
            let health = try await Self.health(address, allowed)
            #expect(health.code == 0, "with \(variable): \(service.standardError)")
            service.signal(SIGTERM)
            #expect(await Task.detached { service.wait(timeout: 15) }.value == 0)
        }
    }

    @Test func badSettingFromTheEnvironmentIsNamedToo() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["CUTLINE_RPC_IDLE_TIMEOUT"] = "-5"
        let result = try ChildProcess.run([TestEnvironment.executable("cutline-text")], environment: environment)
        #expect(result.code != 0)
        #expect(result.stderr.contains("CUTLINE_RPC_IDLE_TIMEOUT"))
        // The distributed settings say what is wrong with them, and how a right one looks.
        for (name, value, hint) in [
            ("CUTLINE_SQS_VISIBILITY_TIMEOUT", "2", "CUTLINE_SQS_VISIBILITY_TIMEOUT"),
            ("CUTLINE_S3_PUBLIC_ENDPOINT", "ftp://x", "http(s)://HOST[:PORT]"),
            ("CUTLINE_MEDIA_ADDRESS", "127.0.0.1:7420,media", "HOST:PORT,HOST:PORT"),
            ("CUTLINE_TASK_SECONDS", "0", "CUTLINE_TASK_SECONDS"),
        ] {
            var distributed = ProcessInfo.processInfo.environment
            distributed["CUTLINE_DATA_DIR"] = try TestEnvironment.temporaryDirectory("bad-distributed").path
            distributed["CUTLINE_S3_BUCKET"] = "a-bucket"
            distributed["CUTLINE_SQS_QUEUE_URL"] = "http://127.0.0.1:9/123456789012/jobs"
            distributed[name] = value
            let refused = try ChildProcess.run([TestEnvironment.executable("cutline-gateway")], environment: distributed)
            #expect(refused.code != 0 && refused.stderr.contains(hint), "\(name)=\(value): \(refused.stderr)")
        }
        // A processor's name goes into every task's status: one that could not be shown is refused.
        var named = ProcessInfo.processInfo.environment
        named["CUTLINE_DATA_DIR"] = try TestEnvironment.temporaryDirectory("bad-instance").path
        named["CUTLINE_INSTANCE_NAME"] = "media one\n"
        let unnamed = try ChildProcess.run([TestEnvironment.executable("cutline-media-processor")], environment: named)
        #expect(unnamed.code != 0 && unnamed.stderr.contains("CUTLINE_INSTANCE_NAME"), "\(unnamed.stderr)")
        // Several processors without the shared queue: a job held in one processor's table could be
        // handed to another too.
        var pooled = ProcessInfo.processInfo.environment
        pooled["CUTLINE_DATA_DIR"] = try TestEnvironment.temporaryDirectory("bad-pool").path
        pooled["CUTLINE_MEDIA_ADDRESS"] = "127.0.0.1:7420,127.0.0.1:7421"
        let refused = try ChildProcess.run([TestEnvironment.executable("cutline-gateway")], environment: pooled)
        #expect(refused.code != 0 && refused.stderr.contains("needs the shared job queue"), "\(refused.stderr)")
    }

    @Test func helpDocumentsEverySetting() throws {
        let help = try ChildProcess.run([TestEnvironment.executable("cutline-gateway"), "--help"])
        for variable in [
            "CUTLINE_GATEWAY_RPC_LISTEN", "CUTLINE_RPC_SECRET", "CUTLINE_RPC_SECRET_FILE", "CUTLINE_DATA_DIR",
            "CUTLINE_RPC_MAX_FRAME_BYTES", "CUTLINE_LOG_LEVEL", "CUTLINE_LOG_FORMAT", "CUTLINE_RPC_MAX_IN_FLIGHT",
            "CUTLINE_RPC_IDLE_TIMEOUT", "CUTLINE_RPC_READ_TIMEOUT", "CUTLINE_SHUTDOWN_GRACE",
        ] {
            #expect(help.stdout.contains(variable), "--help does not mention \(variable)")
        }
    }

    @Test func healthOfAnUnreachableServiceExitsNonZeroWithOneLine() throws {
        let data = try TestEnvironment.temporaryDirectory("cli")
        defer { try? FileManager.default.removeItem(at: data) }
        var environment = ProcessInfo.processInfo.environment
        environment["CUTLINE_RPC_SECRET"] = "a-secret-of-enough-length"
        let address = "127.0.0.1:\(TestEnvironment.freePort())"
        let result = try ChildProcess.run([TestEnvironment.executable("cutline"), "health", address, "--timeout", "0.5"], environment: environment)
        #expect(result.code == 1)
        #expect(result.stderr.contains("unavailable") && result.stderr.contains(address))
    }
}
