import CutlineProductTestSupport
import CutlineTestSupport
import Foundation
import Testing

/// The page in real Chromium (Tests/Browser/*.py, Selenium), against the Gateway, a MediaProcessor and a
/// TextService on loopback.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct BrowserTests {
    static var available: Bool {
        (try? ChildProcess.run(["sh", "-c", "command -v chromedriver && python3 -c 'import selenium'"]).code) == 0
    }

    static func script(_ name: String) -> String {
        TestEnvironment.repository.appendingPathComponent("Tests/Browser/\(name)").path
    }

    static func base(_ gateway: RunningGateway) -> String {
        gateway.base.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    }

    /// One job from picking the file to playing and downloading its clips (page_flow.py).
    @Test(
        .enabled(
            if: available || TestEnvironment.testServersRequired, "needs chromium, chromium-driver and selenium (scripts/bootstrap installs them)"))
    func oneJobThroughThePage() async throws {
        let product = try await RunningProduct(withText: true)
        defer { Teardowns.stop { await product.stop() } }
        let out = product.gateway.data.appendingPathComponent("browser")
        let run = try ChildProcess.run(
            ["python3", Self.script("page_flow.py"), Self.base(product.gateway), ProductFixtures.bigBuckBunny.path, out.path], timeout: 420)
        #expect(run.code == 0, "\(run.stdout.suffix(3000))\n\(run.stderr.suffix(3000))")
        print(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The same job in S3 mode: the page PUTs the file straight to SeaweedFS (its CORS rule as
    /// `scripts/run --s3` sets it), the status is in DynamoDB (moto), the clips play from S3.
    @Test(
        .enabled(
            if: available || TestEnvironment.testServersRequired, "needs chromium, chromium-driver and selenium (scripts/bootstrap installs them)"))
    func oneJobThroughThePageOnS3() async throws {
        let servers = try AWSServers(bucket: "browser-bucket", table: "browser-jobs", browserUploads: true)
        defer { servers.stop() }
        let product = try await RunningProduct(environment: servers.environment, withText: true)
        defer { Teardowns.stop { await product.stop() } }
        let out = product.gateway.data.appendingPathComponent("browser-s3")
        let run = try ChildProcess.run(
            [
                "python3", Self.script("page_flow.py"), Self.base(product.gateway), ProductFixtures.bigBuckBunny.path, out.path,
                "--storage", servers.seaweed.endpoint.absoluteString,
            ], timeout: 420)
        #expect(run.code == 0, "\(run.stdout.suffix(3000))\n\(run.stderr.suffix(3000))")
    }

    /// A Gateway with a token: the page asks for it once, keeps the sign-in in an HttpOnly cookie, and
    /// then does a whole job (page_signin.py).
    @Test(
        .enabled(
            if: available || TestEnvironment.testServersRequired, "needs chromium, chromium-driver and selenium (scripts/bootstrap installs them)"))
    func thePageWorksBehindATokenAfterOneSignIn() async throws {
        let token = "browser-token-\(UUID().uuidString.prefix(12))"
        let product = try await RunningProduct(environment: ["CUTLINE_API_TOKEN": token])
        defer { Teardowns.stop { await product.stop() } }
        let out = product.gateway.data.appendingPathComponent("browser-signin")
        let run = try ChildProcess.run(
            ["python3", Self.script("page_signin.py"), Self.base(product.gateway), token, ProductFixtures.bigBuckBunny.path, out.path], timeout: 300)
        #expect(run.code == 0, "\(run.stdout.suffix(3000))\n\(run.stderr.suffix(3000))")
        print(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// An upload in parts, interrupted by a reload, resumes from the parts already stored (page_resume.py
    /// counts the part PUTs the page sends after the reload).
    @Test(
        .enabled(
            if: available || TestEnvironment.testServersRequired, "needs chromium, chromium-driver and selenium (scripts/bootstrap installs them)"))
    func anInterruptedUploadResumesAfterAReload() async throws {
        let product = try await RunningProduct(environment: ["CUTLINE_UPLOAD_MULTIPART_THRESHOLD": "\(5 << 20)"])
        defer { Teardowns.stop { await product.stop() } }
        // About 63 MB of real footage (the fixture looped, streams copied): four parts of 16 MiB.
        let video = product.gateway.data.appendingPathComponent("long-upload.mp4").path
        _ = try ChildProcess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "59", "-i", ProductFixtures.bigBuckBunny.path, "-c", "copy", video])
        let out = product.gateway.data.appendingPathComponent("browser")
        let run = try ChildProcess.run(["python3", Self.script("page_resume.py"), Self.base(product.gateway), video, out.path], timeout: 300)
        #expect(run.code == 0, "\(run.stdout.suffix(3000))\n\(run.stderr.suffix(3000))")
    }

    /// The same kind of job with the keyboard alone (page_keyboard.py).
    @Test(
        .enabled(
            if: available || TestEnvironment.testServersRequired, "needs chromium, chromium-driver and selenium (scripts/bootstrap installs them)"))
    func oneJobWithTheKeyboardAlone() async throws {
        let product = try await RunningProduct()
        defer { Teardowns.stop { await product.stop() } }
        let out = product.gateway.data.appendingPathComponent("browser")
        let run = try ChildProcess.run(
            ["python3", Self.script("page_keyboard.py"), Self.base(product.gateway), ProductFixtures.bigBuckBunny.path, out.path], timeout: 300)
        #expect(run.code == 0, "\(run.stdout.suffix(3000))\n\(run.stderr.suffix(3000))")
    }

    /// A file over the limit, a character no font draws, and the MediaProcessor stopped in the middle
    /// of a job and started again (page_errors.py asks for the stop and the start through files).
    @Test(
        .enabled(
            if: available || TestEnvironment.testServersRequired, "needs chromium, chromium-driver and selenium (scripts/bootstrap installs them)"))
    func errorPathsAreShownAndAStoppedProcessorIsWaitedFor() async throws {
        let ports = TestEnvironment.freePorts(3)
        let data = try TestEnvironment.temporaryDirectory("browser-errors")
        let base = [
            "CUTLINE_GATEWAY_HTTP_LISTEN": "127.0.0.1:\(ports[0])", "CUTLINE_PUBLIC_URL": "http://127.0.0.1:\(ports[0])",
            "CUTLINE_MEDIA_ADDRESS": "127.0.0.1:\(ports[1])", "CUTLINE_GATEWAY_RPC_LISTEN": "127.0.0.1:\(ports[2])",
            "CUTLINE_TEXT_ADDRESS": "127.0.0.1:\(TestEnvironment.freePort())", "CUTLINE_UPLOAD_MAX_BYTES": "4000000",
        ]
        let gateway = try await RunningGateway(data: data, environment: base)
        defer { Teardowns.stop { await gateway.stop() } }
        var environment = ProcessInfo.processInfo.environment.merging(base) { _, new in new }
        environment["CUTLINE_DATA_DIR"] = data.path
        environment["CUTLINE_MEDIA_RPC_LISTEN"] = "127.0.0.1:\(ports[1])"
        func startProcessor() throws -> ChildProcess {
            try ChildProcess([TestEnvironment.executable("cutline-media-processor")], environment: environment, captureIn: data)
        }
        var processor = try startProcessor()
        defer { processor.stop() }

        // 60 s of real footage (bikes looped, about 3 MB: under the limit) cut in 1 s clips, so the job
        // is still running when the processor is stopped; the 100 s loop (about 5 MB) is over it.
        let bikes = TestEnvironment.fixtures.appendingPathComponent("media/bikes.mp4").path
        let video = data.appendingPathComponent("bikes-60s.mp4").path
        let big = data.appendingPathComponent("bikes-100s.mp4").path
        _ = try ChildProcess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "5", "-i", bikes, "-c", "copy", video])
        _ = try ChildProcess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "9", "-i", bikes, "-c", "copy", big])

        let control = data.appendingPathComponent("control")
        try FileManager.default.createDirectory(at: control, withIntermediateDirectories: true)
        let out = data.appendingPathComponent("browser")
        let page = try ChildProcess(
            ["python3", Self.script("page_errors.py"), Self.base(gateway), video, big, out.path, control.path], captureIn: data)
        defer { page.stop(grace: 1) }
        func asked(_ name: String) -> Bool { FileManager.default.fileExists(atPath: control.appendingPathComponent(name).path) }
        func answer(_ name: String) throws { try Data().write(to: control.appendingPathComponent(name)) }
        let deadline = Date().addingTimeInterval(400)
        var code: Int32?
        while Date() < deadline {
            code = page.wait(timeout: 0.1)
            if code != nil { break }
            if asked("stop") && !asked("stopped") {
                processor.stop()
                try answer("stopped")
            }
            if asked("start") && !asked("started") {
                processor = try startProcessor()
                try answer("started")
            }
        }
        #expect(
            code == 0, "\(page.standardOutput.suffix(3000))\n\(page.standardError.suffix(3000))\nprocessor: \(processor.standardError.suffix(1500))")
        #expect(asked("stopped") && asked("started"), "the processor was never stopped and started")
    }
}
