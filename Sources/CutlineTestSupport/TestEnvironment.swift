public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where tests find the repository, its fixtures and the built executables.
public enum TestEnvironment {
    public static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Real footage from scripts/bootstrap (CUTLINE_FIXTURES, else the repository's .fixtures).
    public static var fixtures: URL {
        if let path = ProcessInfo.processInfo.environment["CUTLINE_FIXTURES"] { return URL(fileURLWithPath: path) }
        return repository.appendingPathComponent(".fixtures")
    }

    /// The folder holding the built products (the test bundle sits beside them).
    public static var productsDirectory: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: bundle.appendingPathComponent("cutline").path) { return bundle }
        return repository.appendingPathComponent(".build/debug")
    }

    /// Set by scripts/test: the loopback servers the tests use (SeaweedFS, moto) must be there, and a
    /// suite that needs a missing one fails instead of being skipped.
    public static var testServersRequired: Bool {
        ProcessInfo.processInfo.environment["CUTLINE_REQUIRE_TEST_SERVERS"] == "1"
    }

    public static func executable(_ name: String) -> String { productsDirectory.appendingPathComponent(name).path }

    /// A loopback TCP port that was free a moment ago (the system picks it).
    public static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(fd, $0, length)
                _ = getsockname(fd, $0, &length)
            }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// `count` distinct loopback ports that were free a moment ago, held open together while they are
    /// picked so none repeats. Tests that bind several servers pick all their ports this way rather than
    /// mixing one picked port with `:0`, which the system may give out again as the same number.
    public static func freePorts(_ count: Int) -> [UInt16] {
        var sockets: [Int32] = []
        defer { for socket in sockets { close(socket) } }
        return (0..<count).map { _ in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    _ = bind(fd, $0, length)
                    _ = getsockname(fd, $0, &length)
                }
            }
            return UInt16(bigEndian: address.sin_port)
        }
    }

    /// A fresh temporary directory, removed by the caller.
    public static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cutline-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
