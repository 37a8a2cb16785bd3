import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the store reports stored survives a power loss: an object's bytes reach the disk before the
/// rename that publishes it, the rename before the call returns (its directory is synced), and so does
/// each directory made on the way (synced in its parent).
enum Durability {
    /// fsync of a file or directory by path; the errno's words when it fails.
    static func sync(_ path: String, directory: Bool = false) throws {
        let descriptor = open(path, directory ? O_RDONLY | O_DIRECTORY | O_CLOEXEC : O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw DurabilityError(path: path, operation: "open", errno: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw DurabilityError(path: path, operation: "fsync", errno: errno) }
    }

    /// Creates `directory` and any missing parents, syncing each new one's entry in its parent.
    static func makeDirectories(_ directory: URL) throws {
        var missing: [URL] = []
        var current = directory.standardizedFileURL
        var isDirectory: ObjCBool = false
        while !FileManager.default.fileExists(atPath: current.path, isDirectory: &isDirectory) {
            missing.append(current)
            let parent = current.deletingLastPathComponent()
            guard parent.path != current.path else { break }
            current = parent
        }
        for made in missing.reversed() {
            if mkdir(made.path, 0o700) != 0 && errno != EEXIST {
                throw DurabilityError(path: made.path, operation: "mkdir", errno: errno)
            }
            try sync(made.deletingLastPathComponent().path, directory: true)
        }
    }

    /// Publishes `temporary` as `target`: its data synced, renamed over the target, the directory synced.
    static func publish(_ temporary: URL, as target: URL) throws {
        try sync(temporary.path)
        guard rename(temporary.path, target.path) == 0 else {
            throw DurabilityError(path: target.path, operation: "rename", errno: errno)
        }
        try sync(target.deletingLastPathComponent().path, directory: true)
    }
}

struct DurabilityError: Error, CustomStringConvertible {
    let path: String
    let operation: String
    let errno: Int32
    var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
}
