public import ArgumentParser
public import CutlineRPC
import CutlineWire
public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

public enum LogFormat: String, Sendable {
    case logfmt, json
}

public enum CutlineVersion {
    public static let current = "0.1.0"
}

/// Settings every service takes. Each is a flag, or else a `CUTLINE_*` environment variable, or else an
/// embedded default; a value that cannot be used stops start-up with a message naming the setting.
public struct ServiceOptions: ParsableArguments, Sendable {
    @Option(
        name: .long,
        help:
            "Address to serve RPC on, HOST:PORT. Env CUTLINE_<SERVICE>_RPC_LISTEN (GATEWAY 127.0.0.1:7410, MEDIA 127.0.0.1:7420, TEXT 127.0.0.1:7430)."
    )
    public var listen: String?

    @OptionGroup public var common: CommonOptions

    @Option(name: .long, help: "Requests one connection may run at once; more wait (backpressure). Env CUTLINE_RPC_MAX_IN_FLIGHT, default 64.")
    public var maxInFlight: String?

    @Option(name: .long, help: "Seconds an idle connection stays open. Env CUTLINE_RPC_IDLE_TIMEOUT, default 300.")
    public var idleTimeout: String?

    @Option(name: .long, help: "Seconds the rest of a started frame may take to arrive. Env CUTLINE_RPC_READ_TIMEOUT, default 10.")
    public var readTimeout: String?

    @Option(
        name: .long, help: "Seconds in-flight calls may run after SIGTERM/SIGINT before they are cancelled. Env CUTLINE_SHUTDOWN_GRACE, default 10.")
    public var shutdownGrace: String?

    public init() {}
}

/// Settings the services and the `cutline` CLI share.
public struct CommonOptions: ParsableArguments, Sendable {
    @Option(name: .long, help: "Shared RPC secret (at least 16 bytes). Env CUTLINE_RPC_SECRET. Prefer --rpc-secret-file.")
    public var rpcSecret: String?

    @Option(
        name: .long,
        help: "File holding the shared RPC secret. Env CUTLINE_RPC_SECRET_FILE. Default: DATA_DIR/rpc.secret, created by a service if missing.")
    public var rpcSecretFile: String?

    @Option(name: .long, help: "Directory for Cutline's local state. Env CUTLINE_DATA_DIR, default ~/.local/share/cutline.")
    public var dataDir: String?

    @Option(name: .long, help: "Largest RPC frame accepted, in bytes. Env CUTLINE_RPC_MAX_FRAME_BYTES, default 16777216.")
    public var maxFrameBytes: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical. Env CUTLINE_LOG_LEVEL, default info.")
    public var logLevel: String?

    @Option(name: .long, help: "logfmt or json. Env CUTLINE_LOG_FORMAT, default logfmt.")
    public var logFormat: String?

    public init() {}
}

/// Resolves one setting: the flag, else the environment variable, else the default.
struct Setting {
    let flag: String
    let env: String
    let value: String?
    let environment: [String: String]

    var raw: String? { value ?? environment[env].flatMap { $0.isEmpty ? nil : $0 } }
    var name: String { "\(env) (--\(flag))" }

    func string(default fallback: String) -> String { raw ?? fallback }

    func integer(default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw else { return fallback }
        guard let number = Int(raw.trimmingCharacters(in: .whitespaces)), range.contains(number) else {
            throw ValidationError("\(name): \"\(raw)\" is not a whole number in \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }

    func boolean(default fallback: Bool) throws -> Bool {
        guard let raw else { return fallback }
        switch raw.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw ValidationError("\(name): \"\(raw)\" is not true or false")
        }
    }

    func seconds(default fallback: Double, range: ClosedRange<Double>) throws -> Duration {
        guard let raw else { return .milliseconds(Int64(fallback * 1000)) }
        guard let number = Double(raw.trimmingCharacters(in: .whitespaces)), range.contains(number) else {
            throw ValidationError("\(name): \"\(raw)\" is not a number of seconds in \(range.lowerBound)…\(range.upperBound)")
        }
        return .milliseconds(Int64(number * 1000))
    }
}

/// The resolved, validated settings of a service or of the CLI.
public struct ResolvedCommon: Sendable {
    public var dataDirectory: String
    public var maxFrameBytes: Int
    public var logLevel: String
    public var logFormat: LogFormat
    let secretSource: SecretSource

    enum SecretSource: Sendable {
        case value(String, origin: String)
        case file(String, origin: String)
        case dataDirectory(String)
    }

    public init(_ options: CommonOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func setting(_ flag: String, _ env: String, _ value: String?) -> Setting {
            Setting(flag: flag, env: env, value: value, environment: environment)
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        dataDirectory = setting("data-dir", "CUTLINE_DATA_DIR", options.dataDir).string(default: "\(home)/.local/share/cutline")
        maxFrameBytes = try setting("max-frame-bytes", "CUTLINE_RPC_MAX_FRAME_BYTES", options.maxFrameBytes)
            .integer(default: Frame.defaultMaxLength, range: 4096...Int(Int32.max))
        let level = setting("log-level", "CUTLINE_LOG_LEVEL", options.logLevel)
        logLevel = level.string(default: "info").lowercased()
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw ValidationError("\(level.name): \"\(logLevel)\" is not one of trace, debug, info, notice, warning, error, critical")
        }
        let format = setting("log-format", "CUTLINE_LOG_FORMAT", options.logFormat)
        guard let parsed = LogFormat(rawValue: format.string(default: "logfmt").lowercased()) else {
            throw ValidationError("\(format.name): \"\(format.raw ?? "")\" is not logfmt or json")
        }
        logFormat = parsed
        let secret = setting("rpc-secret", "CUTLINE_RPC_SECRET", options.rpcSecret)
        let secretFile = setting("rpc-secret-file", "CUTLINE_RPC_SECRET_FILE", options.rpcSecretFile)
        if let value = secret.raw {
            secretSource = .value(value, origin: secret.name)
        } else if let path = secretFile.raw {
            secretSource = .file(path, origin: secretFile.name)
        } else {
            secretSource = .dataDirectory("\(dataDirectory)/rpc.secret")
        }
    }

    /// Loads the shared secret. Services may create the default secret file; the CLI only reads it.
    public func loadSecret(createIfMissing: Bool) throws -> RPCSecret {
        // Services (which may create files) start here: their data directory is theirs alone, however
        // it was made.
        if createIfMissing {
            do { try PrivateFiles.directory(dataDirectory) } catch { throw RPCConfigurationError("\(error)") }
        }
        switch secretSource {
        case .value(let value, let origin):
            return try RPCSecret(Data(value.utf8), origin: origin)
        case .file(let path, let origin):
            return try RPCSecret(contentsOfFile: path, origin: origin)
        case .dataDirectory(let path):
            let origin = "the default secret file (set CUTLINE_RPC_SECRET or CUTLINE_RPC_SECRET_FILE to use another)"
            if createIfMissing && !FileManager.default.fileExists(atPath: path) {
                try SecretFile.create(at: path)
            }
            return try RPCSecret(contentsOfFile: path, origin: origin)
        }
    }
}

enum SecretFile {
    /// Writes 32 random bytes as hex, readable by the owner only; an existing file is kept (another
    /// service may have won the race to create it).
    static func create(at path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try PrivateFiles.directory(directory)
        } catch {
            throw RPCConfigurationError("\(error)")
        }
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined() + "\n"
        let temporary = "\(path).\(ProcessInfo.processInfo.processIdentifier).tmp"
        unlink(temporary)
        do {
            _ = try PrivateFiles.writeNew(temporary, Array(hex.utf8))
        } catch {
            throw RPCConfigurationError("cannot write the secret file: \(error)")
        }
        // link() fails if the file appeared meanwhile, so the first writer's secret wins.
        _ = link(temporary, path)
        unlink(temporary)
    }
}
