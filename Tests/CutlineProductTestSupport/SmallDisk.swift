import CutlineTestSupport
package import Foundation

/// A real, small filesystem (a tmpfs of a few MiB) to fill up: what a full disk does to the services,
/// without filling the machine's. Mounting needs root, as the test machines run.
package final class SmallDisk: @unchecked Sendable {
    package let directory: URL

    package init(megabytes: Int) throws {
        directory = try TestEnvironment.temporaryDirectory("small-disk")
        let mounted = try ChildProcess.run(["mount", "-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0700", "tmpfs", directory.path])
        guard mounted.code == 0 else {
            throw SmallDiskError(message: "cannot mount a tmpfs at \(directory.path) (root is needed): \(mounted.stderr)")
        }
    }

    /// Whether this machine lets the tests mount one.
    package static var available: Bool { getuid() == 0 }

    /// Bytes still free on it.
    package var free: Int64 {
        var stats = statvfs()
        guard statvfs(directory.path, &stats) == 0 else { return 0 }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }

    /// Fills it until only `leaving` bytes are free (files named `filler-…`); with 0, until a write
    /// finds no room at all (what the services write meanwhile may take the last bytes first).
    package func fill(leaving: Int64) throws {
        let path = directory.appendingPathComponent("filler-\(UUID().uuidString.prefix(8))").path
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw SmallDiskError(message: "cannot create \(path)")
        }
        defer { try? handle.close() }
        let chunk = Data(count: 64 << 10)
        while free > leaving {
            let size = Int(min(Int64(chunk.count), free - leaving))
            do {
                try handle.write(contentsOf: chunk.prefix(size))
            } catch  where leaving == 0 {
                return  // full
            }
        }
    }

    package func unmount() {
        _ = try? ChildProcess.run(["umount", "-l", directory.path])
        try? FileManager.default.removeItem(at: directory)
    }
}

package struct SmallDiskError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}
