import CutlineTestSupport
import Foundation
import Testing

/// `cutline storage …` as an operator runs it, against the embedded store and against SeaweedFS.
@Suite(.serialized)
struct StorageCommandTests {
    static let video = TestEnvironment.fixtures.appendingPathComponent("media/bikes.mp4")

    func cutline(_ arguments: [String], _ environment: [String: String]) throws -> (code: Int32, stdout: String, stderr: String) {
        try ChildProcess.run([TestEnvironment.executable("cutline")] + arguments, environment: environment)
    }

    func roundTrip(_ environment: [String: String], scratch: URL) throws {
        let key = "uploads/\(UUID().uuidString.lowercased())/source"
        #expect(try cutline(["storage", "put", Self.video.path, key, "--content-type", "video/mp4"], environment).code == 0)
        let listed = try cutline(["storage", "ls", "uploads/"], environment)
        #expect(listed.stdout.contains(key))
        let copy = scratch.appendingPathComponent("copy.mp4")
        #expect(try cutline(["storage", "get", key, copy.path], environment).code == 0)
        #expect(try Data(contentsOf: copy) == Data(contentsOf: Self.video))
        let presigned = try cutline(["storage", "presign-get", key, "--expires", "60"], environment)
        #expect(presigned.code == 0 && presigned.stdout.split(separator: "\n").count == 1, "only the URL on stdout")
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
        try roundTrip(environment, scratch: data)
        let hostile = try cutline(["storage", "put", Self.video.path, "../outside"], environment)
        #expect(hostile.code == 1 && hostile.stderr.contains("InvalidKey"))
    }

    @Test(.enabled(if: SeaweedFS.available, "needs weed on PATH"))
    func s3RoundTripAndErrors() async throws {
        let server = try SeaweedFS()
        defer { server.stop() }
        let scratch = try TestEnvironment.temporaryDirectory("cli-s3")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var environment = ProcessInfo.processInfo.environment
        environment["CUTLINE_S3_BUCKET"] = "cli-bucket"
        environment["AWS_ACCESS_KEY_ID"] = SeaweedFS.accessKeyID
        environment["AWS_SECRET_ACCESS_KEY"] = SeaweedFS.secretAccessKey
        environment["AWS_REGION"] = "us-east-1"
        environment["AWS_ENDPOINT_URL_S3"] = server.endpoint.absoluteString
        // The bucket, made with a presigned-free signed request through the curl command line is more
        // than this test needs: an empty PUT through our own client is enough.
        let bucket = try SeaweedFS.curl(["-X", "PUT", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "\(SeaweedFS.accessKeyID):\(SeaweedFS.secretAccessKey)",
                                         "\(server.endpoint.absoluteString)/cli-bucket"])
        #expect(bucket.status == 200)
        try roundTrip(environment, scratch: scratch)

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
}
