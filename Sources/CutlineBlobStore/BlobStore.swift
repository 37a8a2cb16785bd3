import Crypto
public import Foundation

/// The embedded object store: a local directory that behaves like the subset of S3 Cutline uses —
/// atomic writes (temporary file, then rename), keys that cannot escape the directory, and
/// HMAC-signed, expiring PUT and GET URLs that the Gateway serves.
public struct BlobStore: Sendable {
    public let root: URL
    let key: SymmetricKey

    /// `secret` signs the URLs (at least 16 bytes; the Gateway keeps it in its data directory).
    public init(root: URL, secret: some DataProtocol) throws {
        guard secret.count >= 16 else { throw BlobStoreError.configuration("the blob store secret must be at least 16 bytes") }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        self.root = root.standardizedFileURL
        self.key = SymmetricKey(data: Data(secret))
    }

    // MARK: Keys

    /// A key is 1–1024 bytes of `/`-separated segments; none may be empty, `.` or `..`, and no byte may
    /// be NUL or a control character, so every key names a file inside `root` and nothing else.
    public static func validate(_ key: String) throws(BlobStoreError) {
        guard !key.isEmpty, key.utf8.count <= 1024 else { throw .invalidKey(key, "a key is 1 to 1024 bytes") }
        guard !key.hasPrefix("/") else { throw .invalidKey(key, "a key may not be an absolute path") }
        guard !key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .invalidKey(key, "a key may not contain NUL or control characters")
        }
        for segment in key.split(separator: "/", omittingEmptySubsequences: false) {
            guard !segment.isEmpty, segment != ".", segment != ".." else {
                throw .invalidKey(key, "a key may not contain empty, '.' or '..' segments")
            }
            // Names starting with a dot are the store's own (temporary files, multipart uploads).
            guard !segment.hasPrefix(".") else { throw .invalidKey(key, "a key's segments may not start with '.'") }
        }
    }

    func path(_ key: String) throws(BlobStoreError) -> URL {
        try Self.validate(key)
        let url = root.appendingPathComponent(key).standardizedFileURL
        // Belt and braces: whatever the validation allowed must still land under the root.
        guard url.path.hasPrefix(root.path + "/") else { throw .invalidKey(key, "a key must stay inside the store") }
        return url
    }

    // MARK: Objects

    /// Stores `source` under `key`: copied to a temporary file beside the target and renamed into
    /// place, so readers see the old object or the new one, never a partial one.
    public func put(key: String, from source: URL) throws {
        let target = try path(key)
        try Self.makeDirectories(target.deletingLastPathComponent(), key: key)
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".tmp-\(UUID().uuidString)")
        do {
            try FileManager.default.copyItem(at: source, to: temporary)
            try Self.replace(target, with: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw BlobStoreError.writing(key, path: target.deletingLastPathComponent().path, error, error.localizedDescription)
        }
    }

    public func put(key: String, bytes: [UInt8]) throws {
        let target = try path(key)
        try Self.makeDirectories(target.deletingLastPathComponent(), key: key)
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".tmp-\(UUID().uuidString)")
        do {
            try Data(bytes).write(to: temporary)
            try Self.replace(target, with: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw BlobStoreError.writing(key, path: target.deletingLastPathComponent().path, error, error.localizedDescription)
        }
    }

    /// Writes an object from chunks, atomically: it appears whole once `produce` returns, or not at all.
    public func write(key: String, _ produce: (BlobWriter) throws -> Void) throws {
        let writer = try beginWrite(key: key)
        do {
            try produce(writer)
            try writer.commit()
        } catch {
            writer.abort()
            throw error
        }
    }

    static func replace(_ target: URL, with temporary: URL) throws {
        do {
            try Durability.publish(temporary, as: target)
        } catch let error as BlobStoreError {
            throw error
        } catch {
            throw BlobStoreError.writing(target.lastPathComponent, path: target.deletingLastPathComponent().path, error, "\(error)")
        }
    }

    /// The directories an object goes in, made durably; a failure names the key.
    static func makeDirectories(_ directory: URL, key: String) throws {
        do {
            try Durability.makeDirectories(directory)
        } catch {
            throw BlobStoreError.writing(key, path: directory.path, error, "cannot create \(directory.path)")
        }
    }

    /// The file holding `key`, for serving or reading; throws `noSuchKey` when absent.
    public func file(key: String) throws -> URL {
        let url = try path(key)
        guard FileManager.default.fileExists(atPath: url.path) else { throw BlobStoreError.noSuchKey(key) }
        return url
    }

    public func get(key: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: try file(key: key)))
    }

    public func size(key: String) throws -> Int64? {
        let url = try path(key)
        return (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value
    }

    public func delete(key: String) throws {
        let url = try path(key)
        guard FileManager.default.fileExists(atPath: url.path) else { throw BlobStoreError.noSuchKey(key) }
        try FileManager.default.removeItem(at: url)
    }

    /// Keys under `prefix`, sorted (temporary files are not objects).
    public func list(prefix: String = "") throws -> [String] {
        // Hidden entries are the store's own: temporary files and multipart uploads in progress.
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        else { return [] }
        var keys: [String] = []
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true, !url.lastPathComponent.hasPrefix(".tmp-") else {
                continue
            }
            let key = String(url.standardizedFileURL.path.dropFirst(root.path.count + 1))
            if key.hasPrefix(prefix) { keys.append(key) }
        }
        return keys.sorted()
    }
}

public struct BlobStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public let code: String
    public let key: String?
    public let message: String

    public static func invalidKey(_ key: String, _ reason: String) -> BlobStoreError { .init(code: "InvalidKey", key: key, message: reason) }
    public static func noSuchKey(_ key: String) -> BlobStoreError { .init(code: "NoSuchKey", key: key, message: "no object with this key") }
    public static func io(_ key: String, _ message: String) -> BlobStoreError { .init(code: "IOError", key: key, message: message) }
    public static func noSuchUpload(_ uploadID: String) -> BlobStoreError {
        .init(code: "NoSuchUpload", key: nil, message: "no multipart upload \(uploadID) for this key")
    }
    public static func invalidPart(_ key: String, _ message: String) -> BlobStoreError { .init(code: "InvalidPart", key: key, message: message) }
    public static func invalidRange(_ key: String, _ message: String) -> BlobStoreError { .init(code: "InvalidRange", key: key, message: message) }
    public static func configuration(_ message: String) -> BlobStoreError { .init(code: "Configuration", key: nil, message: message) }
    public static func signature(_ message: String) -> BlobStoreError { .init(code: "SignatureDoesNotMatch", key: nil, message: message) }
    public static func expired(_ message: String) -> BlobStoreError { .init(code: "AccessDenied", key: nil, message: message) }

    public var description: String {
        let shown = key.map { $0.count > 80 ? String($0.prefix(80)) + "…" : $0 }
        return (shown.map { "key \($0.debugDescription): " } ?? "") + "\(code): \(message)"
    }
}
