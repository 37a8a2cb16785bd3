public import ArgumentParser
public import CutlineContracts
public import CutlineRPC
public import Foundation
public import Logging
import ServiceLifecycle
import UnixSignals

/// Runs one Cutline service: resolves its settings, bootstraps logging, serves RPC (health included),
/// and stops gracefully on SIGTERM or SIGINT. The executables are thin shells over this.
public enum ServiceHost {
    public static func run(
        service name: String,
        defaultListen: String,
        options: ServiceOptions,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        register: (inout RPCRouter, Logger) throws -> Void = { _, _ in }
    ) async throws {
        let configuration = try serverConfiguration(service: name, defaultListen: defaultListen, options: options, environment: environment)
        let common = try ResolvedCommon(options.common, environment: environment)
        LogSetup.bootstrap(format: common.logFormat, level: common.logLevel)
        let logger = Logger(label: "cutline.\(name)")

        var router = RPCRouter()
        router.registerHealth()
        try register(&router, logger)
        let server = RPCServer(configuration: configuration, router: router, version: CutlineVersion.current, logger: logger)
        try server.bind()
        logger.info("starting", metadata: ["version": "\(CutlineVersion.current)", "methods": "\(router.methodNames.joined(separator: ","))"])
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }

    /// Resolves and validates every setting of a service, naming the one that is wrong.
    public static func serverConfiguration(
        service name: String, defaultListen: String, options: ServiceOptions,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> RPCServerConfiguration {
        let common = try ResolvedCommon(options.common, environment: environment)
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
