import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Files only Cutline's own user may read: the data directory (0700) and the secrets in it (0600),
/// each created with its mode from the start, never written readable and narrowed afterwards.
enum PrivateFiles {
    /// Creates the directory (and its parents) if missing; the directory itself is 0700, and an
    /// existing one of ours that others can read is narrowed to 0700.
    static func directory(_ path: String) throws {
        var status = stat()
        if stat(path, &status) != 0 {
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty, parent != path { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
            if mkdir(path, 0o700) != 0 && errno != EEXIST {
                throw PrivateFileError("cannot create the data directory \(path) (CUTLINE_DATA_DIR): \(String(cString: strerror(errno)))")
            }
            return
        }
        if status.st_mode & 0o077 != 0 && status.st_uid == getuid() {
            chmod(path, 0o700)
        }
    }

    /// Writes `bytes` to a new file at `path`, mode 0600 from its creation, fsync-ed; false if the
    /// file already exists (someone else created it first).
    static func writeNew(_ path: String, _ bytes: [UInt8]) throws -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return false }
            throw PrivateFileError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                unlink(path)
                throw PrivateFileError("cannot write \(path): \(reason)")
            }
            offset += written
        }
        guard fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw PrivateFileError("cannot write \(path): \(reason)")
        }
        return true
    }
}

struct PrivateFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
