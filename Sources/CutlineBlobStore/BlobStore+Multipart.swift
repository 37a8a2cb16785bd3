public import Foundation

/// Multipart uploads in the embedded store, with S3's rules: parts numbered 1…10,000, each but the last
/// at least 5 MiB, joined in order on completion. A part is a file under `.uploads/{upload id}/` in the
/// root (hidden: no key can name it); completing joins them into the object atomically.
extension BlobStore {
    static let minimumPartSize: Int64 = 5 * 1024 * 1024
    static let maximumPartNumber = 10_000

    private var uploadsDirectory: URL { root.appendingPathComponent(".uploads") }

    private func uploadDirectory(_ uploadID: String) throws(BlobStoreError) -> URL {
        // Upload ids are UUIDs this store made; anything else names no upload.
        guard let uuid = UUID(uuidString: uploadID), uuid.uuidString == uploadID.uppercased() else {
            throw .noSuchUpload(uploadID)
        }
        return uploadsDirectory.appendingPathComponent(uuid.uuidString)
    }

    private func existingUpload(_ uploadID: String, key: String) throws -> URL {
        let directory = try uploadDirectory(uploadID)
        guard let recorded = try? String(contentsOf: directory.appendingPathComponent("key"), encoding: .utf8), recorded == key else {
            throw BlobStoreError.noSuchUpload(uploadID)
        }
        return directory
    }

    /// Starts an upload for `key`; returns its id.
    public func createMultipartUpload(key: String, contentType: String) throws -> String {
        try Self.validate(key)
        let uploadID = UUID().uuidString
        let directory = try uploadDirectory(uploadID)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(key.utf8).write(to: directory.appendingPathComponent("key"))
            try Data(contentType.utf8).write(to: directory.appendingPathComponent("content-type"))
        } catch {
            throw BlobStoreError.writing(key, path: directory.path, error, "cannot start an upload")
        }
        return uploadID
    }

    /// Starts writing part `number` from a stream; its commit replaces an earlier copy of the part.
    public func beginPart(key: String, uploadID: String, number: Int) throws -> BlobWriter {
        guard (1...Self.maximumPartNumber).contains(number) else {
            throw BlobStoreError.invalidPart(key, "part numbers are 1 to \(Self.maximumPartNumber), not \(number)")
        }
        let directory = try existingUpload(uploadID, key: key)
        return try BlobWriter(key: key, target: directory.appendingPathComponent("part-\(number)"))
    }

    public struct StoredPart: Sendable, Hashable {
        public var number: Int
        public var size: Int64
        /// The part's identity for completion: its size and modification time (a re-sent part gets a new one).
        public var etag: String
    }

    /// The parts stored so far, by number.
    public func listParts(key: String, uploadID: String) throws -> [StoredPart] {
        let directory = try existingUpload(uploadID, key: key)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> StoredPart? in
            guard name.hasPrefix("part-"), let number = Int(name.dropFirst(5)),
                let attributes = try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path),
                let size = (attributes[.size] as? NSNumber)?.int64Value
            else { return nil }
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return StoredPart(number: number, size: size, etag: "\"\(size)-\(Int64(modified * 1_000_000))\"")
        }.sorted { $0.number < $1.number }
    }

    /// Joins `parts` (numbers ascending, each as `listParts` gives it) into the object and ends the upload.
    public func completeMultipartUpload(key: String, uploadID: String, parts: [(number: Int, etag: String)]) throws {
        let directory = try existingUpload(uploadID, key: key)
        let stored = Dictionary(uniqueKeysWithValues: try listParts(key: key, uploadID: uploadID).map { ($0.number, $0) })
        guard !parts.isEmpty else { throw BlobStoreError.invalidPart(key, "an upload needs at least one part") }
        guard zip(parts, parts.dropFirst()).allSatisfy({ $0.number < $1.number }) else {
            throw BlobStoreError.invalidPart(key, "parts must be listed in ascending order")
        }
        for (index, part) in parts.enumerated() {
            guard let found = stored[part.number], found.etag == part.etag else {
                throw BlobStoreError.invalidPart(key, "part \(part.number) is not stored as given (missing, or sent again since)")
            }
            if index < parts.count - 1 && found.size < Self.minimumPartSize {
                throw BlobStoreError.invalidPart(key, "part \(part.number) is \(found.size) bytes; every part but the last must be at least 5 MiB")
            }
        }
        try write(key: key) { output in
            for part in parts {
                let input = try FileHandle(forReadingFrom: directory.appendingPathComponent("part-\(part.number)"))
                defer { try? input.close() }
                while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty { try output.write(chunk) }
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Ends an upload and deletes its parts.
    public func abortMultipartUpload(key: String, uploadID: String) throws {
        let directory = try existingUpload(uploadID, key: key)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Upload ids in progress for keys under `prefix`.
    public func multipartUploads(prefix: String = "") -> [String] {
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: uploadsDirectory.path)) ?? []
        return ids.filter { id in
            let key = try? String(contentsOf: uploadsDirectory.appendingPathComponent(id).appendingPathComponent("key"), encoding: .utf8)
            return key?.hasPrefix(prefix) == true
        }.sorted()
    }

    /// The content type an upload was started with.
    public func uploadContentType(key: String, uploadID: String) throws -> String {
        let directory = try existingUpload(uploadID, key: key)
        return (try? String(contentsOf: directory.appendingPathComponent("content-type"), encoding: .utf8)) ?? "application/octet-stream"
    }
}

extension BlobStore {
    /// The bytes `first…last` of an object (both included; `last` past the end is cut to the end).
    public func read(key: String, first: Int64, last: Int64) throws -> [UInt8] {
        let url = try file(key: key)
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let size = Int64(try handle.seekToEnd())
        guard first < size else { throw BlobStoreError.invalidRange(key, "the range starts at byte \(first); the object has \(size)") }
        try handle.seek(toOffset: UInt64(first))
        return [UInt8](try handle.read(upToCount: Int(min(last, size - 1) - first + 1)) ?? Data())
    }

    /// Copies the bytes `first…last` (or the whole object) into `destination`, atomically.
    public func copy(key: String, first: Int64? = nil, last: Int64? = nil, to destination: URL) throws {
        let url = try file(key: key)
        let input = try FileHandle(forReadingFrom: url)
        defer { try? input.close() }
        let size = Int64(try input.seekToEnd())
        let start = first ?? 0
        guard start < size || (start == 0 && size == 0) else {
            throw BlobStoreError.invalidRange(key, "the range starts at byte \(start); the object has \(size)")
        }
        var remaining = min(last ?? (size - 1), size - 1) - start + 1
        try input.seek(toOffset: UInt64(start))
        let temporary = destination.deletingLastPathComponent().appendingPathComponent(
            ".\(destination.lastPathComponent).part-\(UUID().uuidString.prefix(8))")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw BlobStoreError.io(key, "cannot create \(temporary.path)")
        }
        do {
            let output = try FileHandle(forWritingTo: temporary)
            defer { try? output.close() }
            while remaining > 0, let chunk = try input.read(upToCount: Int(min(remaining, 1 << 20))), !chunk.isEmpty {
                try output.write(contentsOf: chunk)
                remaining -= Int64(chunk.count)
            }
            try Self.replace(destination, with: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}
