import CutlineBlobStore
import CutlineRPC
public import CutlineOutbox
public import CutlineServiceHost
public import CutlineSettings
public import CutlineSQLite
public import CutlineStorage
public import Foundation
public import Hummingbird
public import Logging
import NIOCore
import Synchronization

/// The Gateway as assembled from its settings: its RPC server, its object store and status store
/// (chosen once, from configuration), and its outbox with the relay that delivers it.
public struct Gateway: Sendable {
    public let service: AssembledService
    public let objects: any ObjectStore
    public let status: any StatusStore
    /// The Gateway's own database: its outbox (and, with the HTTP API, its jobs).
    public let database: SQLiteDatabase
    public let outbox: OutboxStore
    public let jobs: JobStore
    /// Where HTTP is served, once the server is running (the configured port, or the one the system
    /// chose for port 0).
    public let http: HTTPAddress
}

/// The HTTP server's bound address, known once it runs.
public final class HTTPAddress: Sendable {
    private let bound = Mutex<(host: String, port: Int)?>(nil)

    public var current: (host: String, port: Int)? { bound.withLock { $0 } }

    /// `http://host:port`, once bound.
    public var url: URL? { current.flatMap { URL(string: "http://\($0.host):\($0.port)") } }

    func set(host: String, port: Int) { bound.withLock { $0 = (host, port) } }
}

/// The Gateway's composition root: everything it runs, built from resolved settings. The executable
/// and the tests build the same thing.
public func buildGateway(_ settings: ServiceSettings, http httpSettings: GatewayHTTPSettings, logger: Logger) throws -> Gateway {
    let (objects, status) = try settings.makeStores()
    let database = try SQLiteDatabase(path: settings.databasePath, migrations: Outbox.migrations + JobStore.migrations)
    let jobs = JobStore(database: database)
    let outbox = OutboxStore(database: database)
    var relayLogger = logger
    relayLogger[metadataKey: "part"] = "relay"
    let relay = OutboxRelay(store: outbox, sink: status, logger: relayLogger)
    let rpc = ServiceHost.rpcServer(settings.rpc, logger: logger)

    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    // A person is waiting: a service that is down is a 503 within seconds, not after the call's deadline.
    func client(_ address: CutlineRPC.SocketAddress, part: String) -> RPCClient {
        var clientLogger = logger
        clientLogger[metadataKey: "part"] = "\(part)-client"
        var configuration = RPCClientConfiguration(address: address, secret: settings.rpc.secret, clientName: "gateway")
        configuration.maxFrameLength = settings.common.maxFrameBytes
        configuration.connectBudget = .seconds(3)
        return RPCClient(configuration: configuration, logger: clientLogger)
    }
    let media = client(httpSettings.mediaAddress, part: "media")
    let text = client(httpSettings.textAddress, part: "text")
    GatewayAPI(jobs: jobs, objects: objects, status: status, settings: httpSettings, media: media, text: text).add(to: router)
    WebRoutes().add(to: router)
    // Only the embedded store has URLs for the Gateway to serve; S3's are S3's.
    if let embedded = objects as? EmbeddedObjectStore {
        BlobRoutes(blobs: embedded.blobs, executor: embedded.executor).add(to: router)
    }
    let address = HTTPAddress()
    let httpLogger = {
        var logger = logger
        logger[metadataKey: "part"] = "http"
        return logger
    }()
    let app = Application(
        router: router,
        configuration: .init(address: .hostname(httpSettings.host, port: httpSettings.port), serverName: "cutline-gateway"),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? httpSettings.port
            address.set(host: httpSettings.host, port: port)
            httpLogger.info("http server listening", metadata: ["address": "\(httpSettings.host):\(port)"])
        },
        logger: httpLogger
    )
    logger.info("gateway assembled", metadata: ["objects": "\(objects.location)", "status": "\(settings.status)", "database": "\(settings.databasePath)"])
    // Shut down in reverse: HTTP first (no new requests), then RPC, then the relay's last pass.
    return Gateway(service: AssembledService(name: settings.name, rpcServer: rpc, services: [relay, rpc, app]),
                   objects: objects, status: status, database: database, outbox: outbox, jobs: jobs, http: address)
}
