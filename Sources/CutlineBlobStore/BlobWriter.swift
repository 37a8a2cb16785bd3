public import Foundation

/// An object (or a multipart part) being written from a stream: bytes go to a hidden temporary file,
/// which `commit` renames into place and `abort` removes, so readers never see a partial object.
/// Its calls block; callers run them off the cooperative pool. Not for use from two threads at once.
public final class BlobWriter: @unchecked Sendable {
    public let key: String
    private let target: URL
    private let temporary: URL
    private let handle: FileHandle
    private var finished = false
    public private(set) var bytesWritten: Int64 = 0

    init(key: String, target: URL) throws {
        self.key = key
        self.target = target
        let directory = target.deletingLastPathComponent()
        try BlobStore.makeDirectories(directory, key: key)
        temporary = directory.appendingPathComponent(".tmp-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw NoSpace.isNoSpace(errno)
                ? BlobStoreError.full(key, path: directory.path) : BlobStoreError.io(key, "cannot create \(temporary.path)")
        }
        handle = try FileHandle(forWritingTo: temporary)
    }

    deinit {
        // A writer dropped without commit leaves nothing behind.
        if !finished {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
        }
    }

    public func write(_ bytes: some DataProtocol) throws {
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            throw BlobStoreError.writing(key, path: target.deletingLastPathComponent().path, error, "writing failed")
        }
        bytesWritten += Int64(bytes.count)
    }

    /// Makes the object visible under its key (replacing an earlier one).
    public func commit() throws {
        finished = true
        do {
            try handle.synchronize()
            try handle.close()
            try BlobStore.replace(target, with: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw BlobStoreError.writing(key, path: target.deletingLastPathComponent().path, error, "cannot store the object")
        }
    }

    public func abort() {
        guard !finished else { return }
        finished = true
        try? handle.close()
        try? FileManager.default.removeItem(at: temporary)
    }
}

extension BlobStore {
    /// Starts writing `key` from a stream.
    public func beginWrite(key: String) throws -> BlobWriter {
        try BlobWriter(key: key, target: try path(key))
    }
}
