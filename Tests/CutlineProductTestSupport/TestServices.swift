import ArgumentParser
package import CutlineContracts
import CutlineCore
import CutlineGatewayApp
import CutlineJobStore
import CutlineMediaProcessorApp
import CutlineOutbox
import CutlineRPC
import CutlineSQLite
package import CutlineServiceHost
package import CutlineSettings
import CutlineStorage
import CutlineTestSupport
import CutlineTextApp
package import Foundation
package import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// What the live tests share to build and run the services' composition roots.
package enum TestServices {
    package static var quiet: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    package static func settings(_ name: String, data: URL, extra: [String: String] = [:]) throws -> ServiceSettings {
        var environment = ["CUTLINE_DATA_DIR": data.path, "CUTLINE_\(name.uppercased())_RPC_LISTEN": "127.0.0.1:0"]
        environment.merge(extra) { _, new in new }
        return try ServiceSettings(service: name, defaultListen: "127.0.0.1:0", options: try ServiceOptions.parse([]), environment: environment)
    }

    /// Runs the assembled parts until the body is done, then shuts them down as SIGTERM would.
    @discardableResult
    package static func running<T: Sendable>(_ service: AssembledService, _ body: () async throws -> T) async throws -> T {
        let group = ServiceGroup(services: service.services, logger: quiet)
        let task = Task { try await group.run() }
        defer { task.cancel() }
        let result = try await body()
        await group.triggerGracefulShutdown()
        try await task.value
        return result
    }

    package static func health(_ service: AssembledService) async throws -> HealthResponse {
        let address = try service.rpcServer.start()
        let client = RPCClient(
            configuration: .init(address: address, secret: service.rpcServer.configuration.secret, clientName: "test"), logger: quiet)
        defer { client.close() }
        return try await client.call(SystemContract.health, HealthRequest(), timeout: .seconds(10))
    }
}
