import CutlineAWS
import CutlineBlobStore
import CutlineHTTP
import CutlineS3
import CutlineStorage
import CutlineTestSupport
import Foundation
import Testing

/// The two object stores behind one interface, held to the same behaviours with the same test bodies:
/// S3 on SeaweedFS (signatures enforced) and the embedded store in a temporary directory.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case embedded, s3
    var testDescription: String { rawValue }
}

final class StoreFixture: @unchecked Sendable {
    let store: any ObjectStore
    let kind: StoreKind
    let scratch: URL
    /// The embedded store's files (to check what its signed URLs allow, until the Gateway serves them).
    let blobs: BlobStore?
    private let cleanup: () -> Void

    init(_ kind: StoreKind) async throws {
        self.kind = kind
        scratch = try TestEnvironment.temporaryDirectory("store")
        switch kind {
        case .embedded:
            let blobs = try BlobStore(root: scratch.appendingPathComponent("blobs"), secret: Data("a-test-secret-of-32-bytes-length".utf8))
            self.blobs = blobs
            store = EmbeddedObjectStore(blobs: blobs, publicURL: URL(string: "http://127.0.0.1:8080")!)
            cleanup = {}
        case .s3:
            let server = try SeaweedFS()
            let http = try HTTPClient()
            let signer = SigV4Signer(
                credentials: AWSCredentials(accessKeyID: SeaweedFS.accessKeyID, secretAccessKey: SeaweedFS.secretAccessKey),
                region: AWSRegion("us-east-1"), service: .s3)
            let client = S3Client(bucket: "cutline-store", endpoint: server.endpoint, signer: signer, http: http)
            try await client.createBucket()
            blobs = nil
            store = S3ObjectStore(client: client)
            cleanup = {
                http.shutdown()
                server.stop()
            }
        }
    }

    deinit {
        cleanup()
        try? FileManager.default.removeItem(at: scratch)
    }

    func file(_ name: String, bytes: [UInt8]) throws -> URL {
        let url = scratch.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static func query(_ url: URL) -> [String: String] {
        Dictionary(
            uniqueKeysWithValues: (URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []).map { ($0.name, $0.value ?? "") })
    }
}

@Suite(.serialized, .timeLimit(.minutes(5)))
struct ObjectStoreTests {
    static let video = TestEnvironment.fixtures.appendingPathComponent("media/bikes.mp4")

    @Test(arguments: StoreKind.allCases)
    func objectsGoInComeOutAndGoAway(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let key = "uploads/\(UUID().uuidString.lowercased())/source"
        try await fixture.store.put(key: key, file: Self.video, contentType: "video/mp4")
        let size = Int64(try Data(contentsOf: Self.video).count)
        #expect(try await fixture.store.head(key: key)?.size == size)
        #expect(try await fixture.store.list(prefix: "uploads/").map(\.key) == [key])
        let copy = fixture.scratch.appendingPathComponent("copy.mp4")
        try await fixture.store.get(key: key, range: nil, to: copy)
        #expect(try Data(contentsOf: copy) == Data(contentsOf: Self.video))
        try await fixture.store.delete(key: key)
        #expect(try await fixture.store.head(key: key) == nil)
        try await fixture.store.delete(key: key)  // deleting what is gone is no error
        #expect(try await fixture.store.list(prefix: "uploads/").isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func rangesGiveExactlyTheirBytes(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let bytes = StoreFixture.randomBytes(100_000)
        let key = "clips/\(UUID().uuidString.lowercased())/0.mp4"
        try await fixture.store.put(key: key, bytes: bytes, contentType: "video/mp4")
        #expect(try await fixture.store.get(key: key, range: ByteRange(first: 10, last: 19)) == Array(bytes[10...19]))
        #expect(try await fixture.store.get(key: key, range: ByteRange(first: 99_990, last: 200_000)) == Array(bytes[99_990...]))
        let part = fixture.scratch.appendingPathComponent("part.bin")
        try await fixture.store.get(key: key, range: ByteRange(first: 50_000, last: 59_999), to: part)
        #expect(try [UInt8](Data(contentsOf: part)) == Array(bytes[50_000...59_999]))
        do {
            _ = try await fixture.store.get(key: key, range: ByteRange(first: 100_000, last: 100_010))
            Issue.record("a range past the end was served")
        } catch let error as StorageError {
            #expect(error.code == .invalidRange, "\(error)")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func missingObjectIsNoSuchKeyNamingIt(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let key = "clips/\(UUID().uuidString.lowercased())/missing.mp4"
        do {
            _ = try await fixture.store.get(key: key, range: nil)
            Issue.record("a missing object was read")
        } catch let error as StorageError {
            #expect(error.code == .noSuchKey && error.key == key, "\(error)")
        }
    }

    /// A presigned PUT allows exactly the signed type and size.
    @Test(arguments: StoreKind.allCases)
    func presignedPutAllowsOnlyItsTypeAndSize(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let key = "uploads/\(UUID().uuidString.lowercased())/source"
        let size = Int64(try Data(contentsOf: Self.video).count)
        let upload = try fixture.store.presignedPut(key: key, contentType: "video/mp4", contentLength: size, expires: .seconds(300))
        #expect(upload.headers == ["Content-Type": "video/mp4"])
        switch kind {
        case .s3:
            let stored = try SeaweedFS.curl([
                "-X", "PUT", "-H", "Content-Type: video/mp4", "--data-binary", "@\(Self.video.path)", upload.url.absoluteString,
            ])
            #expect(stored.status == 200)
            #expect(try await fixture.store.head(key: key)?.size == size)
            let shorter = try fixture.file("short.bin", bytes: [1, 2, 3])
            let refused = try SeaweedFS.curl([
                "-X", "PUT", "-H", "Content-Type: video/mp4", "--data-binary", "@\(shorter.path)", upload.url.absoluteString,
            ])
            #expect(refused.status == 403)
        case .embedded:
            // What the Gateway checks before it streams a body to disk.
            let blobs = try #require(fixture.blobs)
            #expect(upload.url.absoluteString.hasPrefix("http://127.0.0.1:8080/blob/\(key)?"))
            try blobs.verify(method: "PUT", key: key, query: StoreFixture.query(upload.url), contentType: "video/mp4", contentLength: size)
            #expect(throws: BlobStoreError.self) {
                try blobs.verify(method: "PUT", key: key, query: StoreFixture.query(upload.url), contentType: "video/mp4", contentLength: 3)
            }
            #expect(throws: BlobStoreError.self) {
                try blobs.verify(method: "PUT", key: key, query: StoreFixture.query(upload.url), contentType: "text/plain", contentLength: size)
            }
        }
    }

    /// A presigned GET with a download name makes browsers save the object under that name.
    @Test(arguments: StoreKind.allCases)
    func presignedGetCarriesTheDownloadName(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let key = "clips/\(UUID().uuidString.lowercased())/3.mp4"
        try await fixture.store.put(key: key, bytes: [1, 2, 3, 4], contentType: "video/mp4")
        let url = try fixture.store.presignedGet(key: key, downloadName: "Grüße clip 4.mp4", expires: .seconds(300))
        switch kind {
        case .s3:
            let headers = try ChildProcess.run(["curl", "-sS", "-D", "-", "-o", "/dev/null", url.absoluteString])
            let disposition = headers.stdout.lowercased()
            #expect(disposition.contains("content-disposition: attachment"), "\(headers.stdout)")
            #expect(headers.stdout.contains("filename*=UTF-8''Gr%C3%BC%C3%9Fe%20clip%204.mp4"), "\(headers.stdout)")
            #expect(try SeaweedFS.curl([url.absoluteString]).body == Data([1, 2, 3, 4]))
        case .embedded:
            let blobs = try #require(fixture.blobs)
            let query = StoreFixture.query(url)
            #expect(query["filename"] == "Grüße clip 4.mp4")
            try blobs.verify(method: "GET", key: key, query: query, contentType: nil)
            var renamed = query
            renamed["filename"] = "other.mp4"
            #expect(throws: BlobStoreError.self) { try blobs.verify(method: "GET", key: key, query: renamed, contentType: nil) }
        }
    }

    /// Parts go up to their own URLs, are listed (a resumed upload skips them), and join in order; a
    /// part sent twice is listed once; an aborted upload is gone. A part's URL signs its length: more
    /// (or fewer) bytes than signed are refused, so nothing beyond the declared size can be stored.
    @Test(arguments: StoreKind.allCases)
    func multipartUploadJoinsItsPartsInOrder(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let key = "uploads/\(UUID().uuidString.lowercased())/source"
        let parts = [StoreFixture.randomBytes(5 * 1024 * 1024), StoreFixture.randomBytes(5 * 1024 * 1024), StoreFixture.randomBytes(1234)]
        let uploadID = try await fixture.store.createMultipartUpload(key: key, contentType: "video/mp4")
        func send(_ number: Int, _ bytes: [UInt8], signed: Int? = nil) async throws -> Bool {
            let url = try fixture.store.presignedUploadPart(
                key: key, uploadID: uploadID, partNumber: number, contentLength: Int64(signed ?? bytes.count), expires: .seconds(300))
            let body = try fixture.file("part-\(number)", bytes: bytes)
            switch kind {
            case .s3:
                return try SeaweedFS.curl(["-X", "PUT", "--data-binary", "@\(body.path)", url.absoluteString]).status == 200
            case .embedded:
                let blobs = try #require(fixture.blobs)
                let query = StoreFixture.query(url)
                #expect(query["upload"] == uploadID && query["part"] == "\(number)")
                do {
                    try blobs.verify(method: "PUT", key: key, query: query, contentType: nil, contentLength: Int64(bytes.count))
                } catch let error as BlobStoreError {
                    #expect(error.message.contains("signed for \(signed ?? -1) bytes"), "\(error)")
                    return false
                }
                let writer = try blobs.beginPart(key: key, uploadID: uploadID, number: number)
                try writer.write(bytes)
                try writer.commit()
                return true
            }
        }
        // A part signed for 1234 bytes does not take 5 MiB (nor its signed size and more).
        #expect(try await !send(3, parts[0], signed: parts[2].count), "a part larger than signed was stored")
        #expect(try await !send(3, parts[2] + [0], signed: parts[2].count), "a part one byte over was stored")
        #expect(try await fixture.store.listParts(key: key, uploadID: uploadID).isEmpty)
        #expect(try await send(1, parts[0]))
        #expect(try await send(3, parts[2]))
        #expect(try await fixture.store.listParts(key: key, uploadID: uploadID).map(\.number) == [1, 3])
        // A browser that lost the answer sends the part again (the same bytes): it is listed once.
        // (SeaweedFS keeps both copies and joins the first even when told the second's ETag, so a
        // part re-sent with other bytes is not something to test against it.)
        #expect(try await send(2, parts[1]))
        #expect(try await send(2, parts[1]))
        let listed = try await fixture.store.listParts(key: key, uploadID: uploadID)
        #expect(listed.map(\.number) == [1, 2, 3])
        #expect(listed.map(\.size) == parts.map { Int64($0.count) })
        try await fixture.store.completeMultipartUpload(key: key, uploadID: uploadID, parts: listed)
        #expect(try await fixture.store.get(key: key, range: nil) == parts.flatMap { $0 })

        let abandoned = try await fixture.store.createMultipartUpload(key: key + "-2", contentType: "video/mp4")
        try await fixture.store.abortMultipartUpload(key: key + "-2", uploadID: abandoned)
        do {
            _ = try await fixture.store.listParts(key: key + "-2", uploadID: abandoned)
            Issue.record("an aborted upload still lists parts")
        } catch let error as StorageError {
            #expect(error.code == .noSuchUpload, "\(error)")
        }
    }
}
