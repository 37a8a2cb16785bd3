import CutlineBlobStore
import CutlineTestSupport
import Foundation
import Testing

@Suite struct BlobStoreTests {
    static let secret = Data("blob-store-secret-0123456789".utf8)

    func store() throws -> (BlobStore, URL) {
        let directory = try TestEnvironment.temporaryDirectory("blobs")
        return (try BlobStore(root: directory.appendingPathComponent("store"), secret: Self.secret), directory)
    }

    @Test func realVideoIsStoredAndReadBackIntact() throws {
        let (store, directory) = try store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let video = TestEnvironment.fixtures.appendingPathComponent("media/bikes.mp4")
        try store.put(key: "uploads/6f1d2c3b-4a59-4e68-b7a6-958473625140/source", from: video)
        #expect(try store.get(key: "uploads/6f1d2c3b-4a59-4e68-b7a6-958473625140/source") == [UInt8](try Data(contentsOf: video)))
        #expect(try store.list(prefix: "uploads/") == ["uploads/6f1d2c3b-4a59-4e68-b7a6-958473625140/source"])
    }

    static let hostileKeys = ["../escape", "a/../../etc/passwd", "/etc/passwd", "a/./b", "a//b", "nul\0byte", "", "trailing/", "..", "line\nbreak"]

    @Test(arguments: hostileKeys)
    func traversalAndMalformedKeysAreRefused(key: String) throws {
        let (store, directory) = try store()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: BlobStoreError.self) { try store.put(key: key, bytes: [1]) }
        #expect(throws: BlobStoreError.self) { try store.get(key: key) }
        // Nothing was written anywhere near the store.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["store"])
        #expect(try store.list().isEmpty)
    }

    @Test func writeIsAtomic() throws {
        let (store, directory) = try store()
        defer { try? FileManager.default.removeItem(at: directory) }
        try store.put(key: "clips/a/000.mp4", bytes: Array("old".utf8))
        struct Interrupted: Error {}
        #expect(throws: Interrupted.self) {
            try store.write(key: "clips/a/000.mp4") { writer in
                try writer.write(Data("half of the new".utf8))
                throw Interrupted()
            }
        }
        #expect(try store.get(key: "clips/a/000.mp4") == Array("old".utf8))
        #expect(try store.list() == ["clips/a/000.mp4"], "no temporary file is left behind")
    }

    @Test func missingKeyIsNoSuchKey() throws {
        let (store, directory) = try store()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: BlobStoreError.noSuchKey("clips/none.mp4")) { try store.get(key: "clips/none.mp4") }
        #expect(throws: BlobStoreError.noSuchKey("clips/none.mp4")) { try store.delete(key: "clips/none.mp4") }
    }

    func query(_ url: URL) -> [String: String] {
        Dictionary(
            uniqueKeysWithValues: (URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []).map { ($0.name, $0.value ?? "") })
    }

    @Test func signedURLIsAcceptedForItsMethodKeyAndContentType() throws {
        let (store, directory) = try store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = try store.presign(
            method: "PUT", key: "uploads/x/source", base: URL(string: "http://127.0.0.1:8080")!, expires: .seconds(60), contentType: "video/mp4")
        #expect(url.path == "/blob/uploads/x/source")
        try store.verify(method: "PUT", key: "uploads/x/source", query: query(url), contentType: "video/mp4")
        #expect(throws: BlobStoreError.self) {
            try store.verify(method: "PUT", key: "uploads/x/source", query: query(url), contentType: "text/plain")
        }
        #expect(throws: BlobStoreError.self) { try store.verify(method: "GET", key: "uploads/x/source", query: query(url), contentType: "video/mp4") }
        #expect(throws: BlobStoreError.self) { try store.verify(method: "PUT", key: "uploads/y/source", query: query(url), contentType: "video/mp4") }
    }

    @Test func tamperedOrExpiredURLIsRefused() throws {
        let (store, directory) = try store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = try store.presign(method: "GET", key: "clips/a/000.mp4", base: URL(string: "http://h")!, expires: .seconds(60))
        var tampered = query(url)
        tampered["expires"] = String(Int64(tampered["expires"]!)! + 3600)
        #expect(throws: BlobStoreError.self) { try store.verify(method: "GET", key: "clips/a/000.mp4", query: tampered, contentType: nil) }
        var flipped = query(url)
        flipped["signature"] = String(flipped["signature"]!.reversed())
        #expect(throws: BlobStoreError.self) { try store.verify(method: "GET", key: "clips/a/000.mp4", query: flipped, contentType: nil) }
        do {
            try store.verify(method: "GET", key: "clips/a/000.mp4", query: query(url), contentType: nil, now: Date().addingTimeInterval(120))
            Issue.record("an expired URL was accepted")
        } catch let error as BlobStoreError {
            #expect(error.code == "AccessDenied")
        }
        let other = try BlobStore(root: directory.appendingPathComponent("other"), secret: Data("another-secret-0123456789".utf8))
        #expect(throws: BlobStoreError.self) { try other.verify(method: "GET", key: "clips/a/000.mp4", query: query(url), contentType: nil) }
    }
}
