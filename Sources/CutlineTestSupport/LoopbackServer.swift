public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A server process on a loopback port, started by a test and stopped by it; ready once the port
/// accepts connections.
public final class LoopbackServer: @unchecked Sendable {
    public let port: UInt16
    public let process: ChildProcess

    /// `arguments` may contain "{port}", replaced by the chosen free port.
    public init(_ arguments: [String], readyTimeout: Double = 20) throws {
        let port = TestEnvironment.freePort()
        self.port = port
        process = try ChildProcess(arguments.map { $0.replacingOccurrences(of: "{port}", with: String(port)) })
        let deadline = Date().addingTimeInterval(readyTimeout)
        while Date() < deadline {
            if Self.accepts(port) { return }
            if process.wait(timeout: 0) != nil { break }
            usleep(50_000)
        }
        process.stop(grace: 1)
        throw TestSupportError("\(arguments.joined(separator: " ")) did not start listening on port \(port): \(process.standardError.suffix(500))")
    }

    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    public func stop() { process.stop(grace: 5) }

    static func accepts(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(port.bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
