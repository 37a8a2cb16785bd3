import CutlineContracts
public import CutlineRPC
import CutlineSettings
import Glibc
public import Logging
public import ServiceLifecycle
import UnixSignals

/// What a service's composition root assembles: the long-running parts (RPC server, outbox relay, …)
/// that run together, and the RPC server among them (its address, for tests and logs).
public struct AssembledService: Sendable {
    public let name: String
    public let rpcServer: RPCServer
    /// In start order; a graceful shutdown stops them in reverse, so list what others use first
    /// (the relay before the RPC server, whose last calls may still enqueue status writes).
    public let services: [any Service]

    public init(name: String, rpcServer: RPCServer, services: [any Service]) {
        self.name = name
        self.rpcServer = rpcServer
        self.services = services
    }
}

/// Runs an assembled service under one `ServiceGroup`, which owns signal handling (SIGTERM, SIGINT)
/// and graceful shutdown. The executables are thin shells: parse options, build, run.
public enum ServiceHost {
    public static func run(_ service: AssembledService, logger: Logger) async throws {
        let files = raiseOpenFileLimit()
        try service.rpcServer.bind()
        logger.info(
            "starting",
            metadata: [
                "version": "\(CutlineVersion.current)", "parts": "\(service.services.map { "\(type(of: $0))" }.joined(separator: ","))",
                "open_files": "\(files)",
            ])
        let group = ServiceGroup(
            configuration: .init(services: service.services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }

    /// Every connection is a file: the usual soft limit of 1,024 would let a thousand idle sockets stop
    /// the server from accepting anyone. The hard limit is the operator's to set; take all of it.
    /// Returns the limit now in force.
    @discardableResult
    public static func raiseOpenFileLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }

    /// The RPC server of a service, with `system.health` and whatever `register` adds.
    public static func rpcServer(_ configuration: RPCServerConfiguration, logger: Logger, register: (inout RPCRouter) -> Void = { _ in }) -> RPCServer
    {
        var router = RPCRouter()
        router.registerHealth()
        register(&router)
        return RPCServer(configuration: configuration, router: router, version: CutlineVersion.current, logger: logger)
    }
}
