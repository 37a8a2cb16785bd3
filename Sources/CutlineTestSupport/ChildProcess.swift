public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process for tests (servers, the built executables), spawned with a clean signal mask:
/// Foundation's Process passes on the spawning thread's mask, and test threads block SIGTERM, so its
/// children could never be stopped gracefully. Standard output and error go to files the test can read.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let stdoutPath: String
    public let stderrPath: String
    private var exitStatus: Int32?

    public init(_ arguments: [String], environment: [String: String]? = nil, captureIn directory: URL? = nil) throws {
        let folder = directory ?? FileManager.default.temporaryDirectory
        let stem = "\(URL(fileURLWithPath: arguments[0]).lastPathComponent)-\(UUID().uuidString.prefix(8))"
        stdoutPath = folder.appendingPathComponent("\(stem).out").path
        stderrPath = folder.appendingPathComponent("\(stem).err").path

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in env { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, env)
        guard status == 0 else {
            throw TestSupportError("cannot start \(arguments[0]): \(String(cString: strerror(status)))")
        }
        self.pid = pid
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    public var standardOutput: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var standardError: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    public func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits for the process to end and returns its exit code (128 + n if killed by signal n); nil if it
    /// is still running after `timeout` seconds.
    @discardableResult
    public func wait(timeout: Double = 30) -> Int32? {
        if let exitStatus { return exitStatus }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
                exitStatus = code
                return code
            }
            if Date() >= deadline { return nil }
            usleep(10_000)
        }
    }

    /// SIGTERM, then SIGKILL if it has not ended within `grace` seconds.
    public func stop(grace: Double = 10) {
        guard exitStatus == nil else { return }
        kill(pid, SIGTERM)
        if wait(timeout: grace) == nil {
            kill(pid, SIGKILL)
            wait(timeout: 5)
        }
    }

    /// Runs a command to completion and returns its exit code and output.
    public static func run(
        _ arguments: [String], environment: [String: String]? = nil, timeout: Double = 60
    ) throws -> (code: Int32, stdout: String, stderr: String) {
        let child = try ChildProcess(arguments, environment: environment)
        defer {
            try? FileManager.default.removeItem(atPath: child.stdoutPath)
            try? FileManager.default.removeItem(atPath: child.stderrPath)
        }
        guard let code = child.wait(timeout: timeout) else {
            child.stop(grace: 1)
            throw TestSupportError("\(arguments.joined(separator: " ")) did not finish within \(timeout) s")
        }
        return (code, child.standardOutput, child.standardError)
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
