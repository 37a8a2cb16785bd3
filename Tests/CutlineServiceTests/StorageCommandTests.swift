import CutlineBlobStore
import CutlineTestSupport
import Foundation
import Testing

/// `cutline storage …` as an operator runs it, against the embedded store and against SeaweedFS.
@Suite(.serialized)
struct StorageCommandTests {
    static let video = TestEnvironment.fixtures.appendingPathComponent("media/bikes.mp4")

    /// The CLI's environment for SeaweedFS's bucket `bucket`, made here with a signed PUT.
    static func s3(_ server: SeaweedFS, bucket: String) throws -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["CUTLINE_S3_BUCKET"] = bucket
        environment["AWS_ACCESS_KEY_ID"] = SeaweedFS.accessKeyID
        environment["AWS_SECRET_ACCESS_KEY"] = SeaweedFS.secretAccessKey
        environment["AWS_REGION"] = "us-east-1"
        environment["AWS_ENDPOINT_URL_S3"] = server.endpoint.absoluteString
        let made = try SeaweedFS.curl([
            "-X", "PUT", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "\(SeaweedFS.accessKeyID):\(SeaweedFS.secretAccessKey)",
            "\(server.endpoint.absoluteString)/\(bucket)",
        ])
        guard made.status == 200 else { throw TestSupportError("cannot make the bucket \(bucket): HTTP \(made.status)") }
        return environment
    }

    func cutline(_ arguments: [String], _ environment: [String: String]) throws -> (code: Int32, stdout: String, stderr: String) {
        try ChildProcess.run([TestEnvironment.executable("cutline")] + arguments, environment: environment)
    }

    /// `fetch`: what the presigned GET URL gives, the way its reader gets it.
    func roundTrip(_ environment: [String: String], scratch: URL, fetch: (URL, String) throws -> Data) throws {
        let key = "uploads/\(UUID().uuidString.lowercased())/source"
        #expect(try cutline(["storage", "put", Self.video.path, key, "--content-type", "video/mp4"], environment).code == 0)
        let listed = try cutline(["storage", "ls", "uploads/"], environment)
        #expect(listed.stdout.contains(key))
        let copy = scratch.appendingPathComponent("copy.mp4")
        #expect(try cutline(["storage", "get", key, copy.path], environment).code == 0)
        #expect(try Data(contentsOf: copy) == Data(contentsOf: Self.video))
        let presigned = try cutline(["storage", "presign-get", key, "--expires", "60"], environment)
        #expect(presigned.code == 0 && presigned.stdout.split(separator: "\n").count == 1, "only the URL on stdout")
        let url = try #require(URL(string: presigned.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(try fetch(url, key) == Data(contentsOf: Self.video), "the presigned URL gives the object")
        #expect(try cutline(["storage", "rm", key], environment).code == 0)
        let missing = try cutline(["storage", "get", key, copy.path], environment)
        #expect(missing.code == 1)
        #expect(missing.stderr.contains(key) && missing.stderr.contains("NoSuchKey"), "stderr: \(missing.stderr)")
        #expect(missing.stderr.split(separator: "\n").count == 1)
    }

    @Test func embeddedStoreRoundTripAndErrors() throws {
        let data = try TestEnvironment.temporaryDirectory("cli-embedded")
        defer { try? FileManager.default.removeItem(at: data) }
        var environment = ProcessInfo.processInfo.environment
        environment["CUTLINE_DATA_DIR"] = data.path
        environment["CUTLINE_S3_BUCKET"] = nil
        // The Gateway serves these URLs (not yet built): it checks them against the data directory's
        // blob secret, as here, and a URL changed in any way is refused.
        try roundTrip(environment, scratch: data) { url, key in
            let store = try BlobStore(
                root: data.appendingPathComponent("blobs"), secret: try Data(contentsOf: data.appendingPathComponent("blob.secret")))
            let query = Dictionary(
                uniqueKeysWithValues: (URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            #expect(url.path == "/blob/\(key)")
            try store.verify(method: "GET", key: key, query: query, contentType: nil)
            #expect(throws: BlobStoreError.self) { try store.verify(method: "GET", key: key + "x", query: query, contentType: nil) }
            return Data(try store.get(key: key))
        }
        let hostile = try cutline(["storage", "put", Self.video.path, "../outside"], environment)
        #expect(hostile.code == 1 && hostile.stderr.contains("InvalidKey"))
    }

    /// What is reported stored is on disk: strace (Debian) shows the object's temporary file synced
    /// before the rename that publishes it, its directory synced after, and each new directory synced in
    /// its parent before the call returns.
    @Test func anEmbeddedObjectIsOnDiskBeforeItIsReportedStored() throws {
        let data = try TestEnvironment.temporaryDirectory("cli-durable")
        defer { try? FileManager.default.removeItem(at: data) }
        var environment = ProcessInfo.processInfo.environment
        environment["CUTLINE_DATA_DIR"] = data.path
        environment["CUTLINE_S3_BUCKET"] = nil
        let trace = data.appendingPathComponent("trace").path
        let key = "clips/\(UUID().uuidString.lowercased())/1.mp4"
        let run = try ChildProcess.run(
            [
                "strace", "-f", "-qq", "-e", "trace=openat,fsync,fdatasync,rename,renameat,renameat2,mkdir,mkdirat,close", "-o", trace,
                TestEnvironment.executable("cutline"), "storage", "put", Self.video.path, key,
            ], environment: environment)
        #expect(run.code == 0, "\(run.stderr)")
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map(String.init)
        // Which path each descriptor was opened for, as the trace goes; which paths were synced, in order.
        var open: [String: String] = [:]
        var events: [String] = []
        for line in lines {
            if let opened = line.firstMatch(of: /openat\(AT_FDCWD, "([^"]+)", [^)]*\)\s+=\s+(\d+)/) {
                open[String(opened.2)] = String(opened.1)
            } else if let synced = line.firstMatch(of: /f(?:data)?sync\((\d+)\)\s+=\s+0/), let path = open[String(synced.1)] {
                events.append("sync \(path)")
            } else if let renamed = line.firstMatch(of: /rename(?:at2?)?\((?:AT_FDCWD, )?"([^"]+)", (?:AT_FDCWD, )?"([^"]+)"/) {
                events.append("rename \(renamed.1) \(renamed.2)")
            } else if let made = line.firstMatch(of: /mkdir(?:at)?\((?:AT_FDCWD, )?"([^"]+)"[^)]*\)\s+=\s+0/) {
                events.append("mkdir \(made.1)")
            }
        }
        let target = data.appendingPathComponent("blobs/\(key)").path
        let directory = (target as NSString).deletingLastPathComponent
        let rename = try #require(events.firstIndex { $0.hasPrefix("rename ") && $0.hasSuffix(" \(target)") }, "\(events)")
        let temporary = String(events[rename].split(separator: " ")[1])
        #expect(events[..<rename].contains("sync \(temporary)"), "the data is synced before the rename: \(events)")
        #expect(events[(rename + 1)...].contains("sync \(directory)"), "the directory is synced after the rename: \(events)")
        let made = try #require(events.firstIndex(of: "mkdir \(directory)"), "\(events)")
        #expect(events[(made + 1)..<rename].contains("sync \((directory as NSString).deletingLastPathComponent)"), "\(events)")
    }

    @Test(.enabled(if: SeaweedFS.available, "needs weed on PATH"))
    func s3RoundTripAndErrors() async throws {
        let server = try SeaweedFS()
        defer { server.stop() }
        let scratch = try TestEnvironment.temporaryDirectory("cli-s3")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let environment = try Self.s3(server, bucket: "cli-bucket")
        try roundTrip(environment, scratch: scratch) { url, _ in
            let answer = try SeaweedFS.curl([url.absoluteString])
            #expect(answer.status == 200)
            return answer.body
        }

        var wrong = environment
        wrong["AWS_SECRET_ACCESS_KEY"] = "wrong-secret"
        let refused = try cutline(["storage", "put", Self.video.path, "uploads/x/source"], wrong)
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("uploads/x/source") && refused.stderr.contains("SignatureDoesNotMatch"), "stderr: \(refused.stderr)")

        var unreachable = environment
        unreachable["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:\(TestEnvironment.freePort())"
        let down = try cutline(["storage", "get", "uploads/x/source", scratch.appendingPathComponent("y").path], unreachable)
        #expect(down.code == 1)
        #expect(down.stderr.contains("uploads/x/source") && down.stderr.contains("NetworkError"), "stderr: \(down.stderr)")
    }

    /// `cutline storage lifecycle` sets the bucket's rule from the lifetimes (whole days, rounded up) and
    /// prints it as the bucket has it; another owner's rules are kept unless --replace; the embedded
    /// store is refused in words (its sweeper is the Gateway's).
    @Test func theBucketsLifecycleRuleFollowsTheLifetimes() async throws {
        let server = try SeaweedFS()
        defer { server.stop() }
        var environment = try Self.s3(server, bucket: "rules-bucket")

        environment["CUTLINE_UPLOAD_TTL"] = "36h"
        environment["CUTLINE_RETENTION"] = "10d"
        let set = try cutline(["storage", "lifecycle"], environment)
        #expect(set.code == 0, "\(set.stderr)")
        #expect(
            set.stdout.split(separator: "\n").map(String.init) == [
                "cutline-abort-unfinished-uploads: uploads/* abort unfinished uploads after 2 d",
                "cutline-retention-uploads: uploads/* expire after 10 d",
                "cutline-retention-clips: clips/* expire after 10 d",
            ], "\(set.stdout)")
        environment["CUTLINE_RETENTION"] = "off"
        let kept = try cutline(["storage", "lifecycle"], environment)
        #expect(kept.stdout == "cutline-abort-unfinished-uploads: uploads/* abort unfinished uploads after 2 d\n", "\(kept.stdout)")

        // Someone else's rule in the bucket (boto3 sets it): kept, and said so, unless --replace.
        let foreign = try ChildProcess.run(
            [
                "python3", "-c",
                """
                import boto3, sys
                boto3.client("s3", endpoint_url=sys.argv[1]).put_bucket_lifecycle_configuration(Bucket="rules-bucket", LifecycleConfiguration={"Rules": [
                    {"ID": "logs-expire", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}}]})
                """,
                server.endpoint.absoluteString,
            ], environment: environment)
        #expect(foreign.code == 0, "\(foreign.stderr)")
        let refused = try cutline(["storage", "lifecycle"], environment)
        #expect(refused.code == 1 && refused.stderr.contains("logs-expire") && refused.stderr.contains("--replace"), "\(refused.stderr)")
        #expect(try cutline(["storage", "lifecycle", "--replace"], environment).code == 0)

        var embedded = ProcessInfo.processInfo.environment
        embedded["CUTLINE_DATA_DIR"] = try TestEnvironment.temporaryDirectory("cli-lifecycle").path
        let none = try cutline(["storage", "lifecycle"], embedded)
        #expect(none.code != 0 && none.stderr.contains("sweeper"), "\(none.stderr)")
    }
}
