import ArgumentParser
import CutlineAdapters
import CutlineBlobStore
public import CutlineJobFlow
public import CutlineJobStore
import CutlineMetrics
public import CutlineOutbox
import CutlineRPC
public import CutlineSQLite
public import CutlineServiceHost
public import CutlineSettings
public import CutlineStorage
import CutlineTracing
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
    /// The Gateway's own database: its outbox (and its jobs, unless they are kept in DynamoDB).
    public let database: SQLiteDatabase
    public let outbox: OutboxStore
    public let jobs: any JobStore
    /// The job's steps, as the HTTP API calls them.
    public let flow: JobFlow
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
    Telemetry.bootstrap()
    // First in the group, so it stops last and exports the other parts' last spans.
    let tracing = try TraceSetup.bootstrap(serviceName: "cutline-gateway").map { [$0] } ?? []
    let database = try SQLiteDatabase(path: settings.databasePath, migrations: Outbox.migrations + SQLiteJobStore.migrations)
    let (objects, status, jobs) = try settings.makeGatewayStores(database: database)
    let outbox = OutboxStore(database: database)
    var relayLogger = logger
    relayLogger[metadataKey: "part"] = "relay"
    // With a shared queue, jobs go out through the outbox as messages, in the QUEUED write's transaction.
    let queue = try settings.queue.makeJobQueue()
    // Without the shared queue a job lives in one processor's table: a second processor would take it too.
    guard queue != nil || httpSettings.mediaAddresses.count == 1 else {
        throw ValidationError(
            "CUTLINE_MEDIA_ADDRESS names \(httpSettings.mediaAddresses.count) MediaProcessors, which needs the shared job queue: set CUTLINE_SQS_QUEUE_URL (`cutline queue create`), or name one processor"
        )
    }
    let relay = OutboxRelay(store: outbox, sink: status, messages: queue, logger: relayLogger)
    let rpc = ServiceHost.rpcServer(settings.rpc, logger: logger)

    // A person is waiting: a service that is down is a 503 within seconds, not after the call's deadline.
    func configuration(_ address: CutlineRPC.SocketAddress) -> RPCClientConfiguration {
        var configuration = RPCClientConfiguration(address: address, secret: settings.rpc.secret, clientName: "gateway")
        configuration.maxFrameLength = settings.common.maxFrameBytes
        configuration.connectBudget = .seconds(3)
        return configuration
    }
    func clientLogger(part: String) -> Logger {
        var partLogger = logger
        partLogger[metadataKey: "part"] = "\(part)-client"
        return partLogger
    }
    // The processors are a pool, however many there are: calls spread over them, and one that is down is
    // passed over (each gets less patience, so the next is asked while the person still waits).
    var mediaClient = configuration(httpSettings.mediaAddresses[0])
    mediaClient.connectBudget = .seconds(1)
    let media = RPCClientPool(configuration: .init(client: mediaClient, targets: httpSettings.mediaAddresses), logger: clientLogger(part: "media"))
    let text = RPCClient(configuration: configuration(httpSettings.textAddress), logger: clientLogger(part: "text"))
    let answers = StatusAnswers(lifetime: .seconds(1800))
    let flow = JobFlow(
        jobs: jobs, objects: objects, status: status,
        media: media, text: text,
        limits: .init(maxUploadBytes: httpSettings.maxUploadBytes, multipartThreshold: httpSettings.multipartThreshold),
        dispatch: settings.queue.taskSeconds.map { .sharedQueue(taskSeconds: $0) } ?? .processor, changed: { answers.forget($0) })
    let router = buildRouter(
        flow, answers: answers, apiToken: httpSettings.apiToken, blobs: objects as? EmbeddedObjectStore, publicURL: httpSettings.publicURL)
    var sweeperLogger = logger
    sweeperLogger[metadataKey: "part"] = "sweeper"
    let sweeper = Sweeper(flow: flow, lifetimes: httpSettings.lifetimes, logger: sweeperLogger)
    let address = HTTPAddress()
    let httpLogger = {
        var logger = logger
        logger[metadataKey: "part"] = "http"
        return logger
    }()
    let app = Application(
        router: router,
        server: .http1(configuration: httpSettings.connections.server(logger: httpLogger)),
        configuration: .init(
            address: .hostname(httpSettings.host, port: httpSettings.port), serverName: "cutline-gateway", backlog: 1024,
            // Past the bound, connections wait in the listen queue; the deadlines free slots.
            availableConnectionsDelegate: .maximum(httpSettings.connections.maxConnections, logger: httpLogger)),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? httpSettings.port
            address.set(host: httpSettings.host, port: port)
            httpLogger.info("http server listening", metadata: ["address": "\(httpSettings.host):\(port)"])
        },
        logger: httpLogger
    )
    logger.info(
        "gateway assembled",
        metadata: [
            "objects": "\(objects.location)", "status": "\(settings.status)", "jobs": "\(type(of: jobs))", "database": "\(settings.databasePath)",
            "queue": "\(settings.queue)",
        ])
    // Shut down in reverse: HTTP first (no new requests), then RPC, then the relay's last pass.
    return Gateway(
        service: AssembledService(name: settings.name, rpcServer: rpc, services: tracing + [relay, rpc, sweeper, app]),
        objects: objects, status: status, database: database, outbox: outbox, jobs: jobs, flow: flow, http: address)
}

/// The Gateway's routes: the API under `/api` (behind the token when one is set), the page, and the
/// embedded store's signed blob URLs (S3's URLs are S3's), all behind the Host and Origin checks. Tests build it alone and call it in process.
public func buildRouter(
    _ flow: JobFlow, answers: StatusAnswers = StatusAnswers(lifetime: .seconds(1800)), apiToken: String?,
    blobs: EmbeddedObjectStore?, publicURL: URL
) -> Router<APIRequestContext> {
    let router = Router(context: APIRequestContext.self)
    // First, so every answer is counted and timed by route, method and status, errors included.
    router.add(middleware: MetricsMiddleware())
    // A span per request, the child of the request's `traceparent` when it has one: the RPC calls and
    // queued tasks the request makes carry it on, and every log line inside has its trace_id.
    router.add(middleware: TracingMiddleware())
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: OriginMiddleware(publicURL: publicURL))
    let credential = apiToken.map { APICredential(token: $0, publicURL: publicURL) }
    router.group("api/session").addRoutes(SessionController(credential: credential).endpoints)
    let api = router.group("api")
    if let credential { api.add(middleware: TokenMiddleware(credential: credential)) }
    api.addRoutes(SystemController(flow: flow).endpoints)
    api.addRoutes(UploadController(flow: flow).endpoints)
    api.addRoutes(JobController(flow: flow, answers: answers).endpoints)
    api.addRoutes(TextController(flow: flow).endpoints)
    api.addRoutes(PreviewController(flow: flow).endpoints)
    let metrics = router.group("metrics")
    if let credential { metrics.add(middleware: TokenMiddleware(credential: credential)) }
    metrics.addRoutes(MetricsController().endpoints)
    router.addRoutes(PageController().endpoints)
    if let blobs { router.addRoutes(BlobController(blobs: blobs.blobs, executor: blobs.executor).endpoints) }
    return router
}
