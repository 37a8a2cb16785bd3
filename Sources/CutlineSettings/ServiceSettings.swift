import ArgumentParser
public import CutlineRPC
public import Foundation

/// The resolved, validated settings of one service: shared ones, its RPC server, and (for the Gateway
/// and the MediaProcessor) where files and job status are kept.
public struct ServiceSettings: Sendable {
    public let name: String
    public let common: ResolvedCommon
    public let rpc: RPCServerConfiguration
    public let storage: StorageSettings
    public let status: StatusSettings
    /// How queued jobs reach the MediaProcessors (the same on the Gateway and every processor).
    public let queue: QueueSettings
    /// Where `GET /metrics` is served (the MediaProcessor and the TextService; the Gateway serves it on
    /// its HTTP address); nil: not served.
    public let metricsListen: SocketAddress?

    public init(
        service name: String, defaultListen: String, options: ServiceOptions, storage: StorageOptions? = nil,
        status: StatusOptions? = nil, queue: QueueOptions? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.name = name
        common = try ResolvedCommon(options.common, environment: environment)
        rpc = try Self.serverConfiguration(service: name, defaultListen: defaultListen, options: options, common: common, environment: environment)
        // Options not given (a service without them) leave the environment and the defaults.
        self.storage = try StorageSettings(s3Bucket: storage?.s3Bucket, publicURL: storage?.publicURL, common: common, environment: environment)
        self.status = try StatusSettings(
            dynamodbTable: status?.dynamodbTable, dynamodbKey: status?.dynamodbKey, common: common, environment: environment)
        self.queue = try QueueSettings(queue, environment: environment)
        let metrics = Setting(flag: "metrics-listen", env: "CUTLINE_METRICS_LISTEN", value: nil, environment: environment)
        do {
            metricsListen = try metrics.raw.map { try SocketAddress(parsing: $0) }
        } catch {
            throw ValidationError("\(metrics.name): \(error)")
        }
    }

    /// The service's own SQLite file in the data directory (its outbox and local state).
    public var databasePath: String { "\(common.dataDirectory)/\(name).sqlite" }

    /// Resolves and validates every RPC setting of a service, naming the one that is wrong.
    static func serverConfiguration(
        service name: String, defaultListen: String, options: ServiceOptions, common: ResolvedCommon, environment: [String: String]
    ) throws -> RPCServerConfiguration {
        func setting(_ flag: String, _ env: String, _ value: String?) -> Setting {
            Setting(flag: flag, env: env, value: value, environment: environment)
        }
        let listenSetting = setting("listen", "CUTLINE_\(name.uppercased())_RPC_LISTEN", options.listen)
        let listen: SocketAddress
        do {
            listen = try SocketAddress(parsing: listenSetting.string(default: defaultListen))
        } catch {
            throw ValidationError("\(listenSetting.name): \(error)")
        }
        var configuration = RPCServerConfiguration(listen: listen, secret: try common.loadSecret(createIfMissing: true), serviceName: name)
        configuration.maxFrameLength = common.maxFrameBytes
        configuration.maxInFlightPerConnection = try setting("max-in-flight", "CUTLINE_RPC_MAX_IN_FLIGHT", options.maxInFlight)
            .integer(default: 64, range: 1...100_000)
        configuration.idleTimeout = try setting("idle-timeout", "CUTLINE_RPC_IDLE_TIMEOUT", options.idleTimeout)
            .seconds(default: 300, range: 1...86_400)
        configuration.readTimeout = try setting("read-timeout", "CUTLINE_RPC_READ_TIMEOUT", options.readTimeout)
            .seconds(default: 10, range: 0.1...3600)
        configuration.shutdownGrace = try setting("shutdown-grace", "CUTLINE_SHUTDOWN_GRACE", options.shutdownGrace)
            .seconds(default: 10, range: 0...3600)
        return configuration
    }
}
