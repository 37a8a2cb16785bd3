import CutlineAdapters
public import CutlineJobStore
import CutlineMetrics
public import CutlineOutbox
import CutlineRPC
public import CutlineSQLite
import CutlineSQS
public import CutlineServiceHost
public import CutlineSettings
public import CutlineStorage
import CutlineTracing
import Foundation
public import Logging

/// The MediaProcessor as assembled from its settings: its RPC server, its object store and status
/// store (chosen once, from configuration), and its outbox with the relay that delivers it.
public struct MediaProcessor: Sendable {
    public let service: AssembledService
    public let objects: any ObjectStore
    public let status: any StatusStore
    /// The processor's own database: its outbox (and, with the job runner, its accepted jobs).
    public let database: SQLiteDatabase
    public let outbox: OutboxStore
    public let jobs: MediaProcessorJobs
}

/// The MediaProcessor's composition root: everything it runs, built from resolved settings.
public func buildMediaProcessor(
    _ settings: ServiceSettings, media: MediaProcessorSettings = MediaProcessorSettings(), logger: Logger
) throws -> MediaProcessor {
    Telemetry.bootstrap()
    // First in the group, so it stops last and exports the other parts' last spans.
    let tracing = try TraceSetup.bootstrap(serviceName: "cutline-media-processor").map { [$0] } ?? []
    let (objects, status) = try settings.makeStores()
    let database = try SQLiteDatabase(path: settings.databasePath, migrations: Outbox.migrations + MediaProcessorJobs.migrations)
    let outbox = OutboxStore(database: database)
    let jobs = MediaProcessorJobs(database: database, processor: media.instanceName)
    var relayLogger = logger
    relayLogger[metadataKey: "part"] = "relay"
    let relay = OutboxRelay(store: outbox, sink: status, logger: relayLogger)
    var runnerLogger = logger
    runnerLogger[metadataKey: "part"] = "runner"
    // Jobs come from this processor's own table (handed over by `media.submit`) or from the shared queue.
    let queue = try settings.queue.makeJobQueue()
    var feed: any JobFeed = LocalJobFeed(jobs: jobs)
    var deadLetters: DeadLetterWatcher?
    if let queue {
        feed = QueueJobFeed(queue: queue, jobs: jobs, objects: objects, status: status, processor: media.instanceName, logger: runnerLogger)
        var watcherLogger = logger
        watcherLogger[metadataKey: "part"] = "dead-letters"
        deadLetters = DeadLetterWatcher(queue: queue, jobs: jobs, status: status, logger: watcherLogger)
    }
    let runner = JobRunner(
        jobs: jobs, feed: feed, objects: objects, status: status,
        workDirectory: URL(fileURLWithPath: settings.common.dataDirectory).appendingPathComponent("work"),
        logger: runnerLogger, concurrentJobs: media.concurrentJobs)
    let handlers = MediaProcessorHandlers(jobs: jobs, objects: objects, runner: runner, sharedQueue: queue?.url.absoluteString)
    let rpc = ServiceHost.rpcServer(settings.rpc, logger: logger) { handlers.register(&$0) }
    let metrics = settings.metricsListen.map { [MetricsEndpoint.service(host: $0.host, port: Int($0.port), logger: logger)] } ?? []
    logger.info(
        "media processor assembled",
        metadata: [
            "objects": "\(objects.location)", "status": "\(settings.status)", "database": "\(settings.databasePath)",
            "concurrent_jobs": "\(media.concurrentJobs)", "instance": "\(media.instanceName)", "queue": "\(settings.queue)",
        ])
    // Shut down in reverse: the runner stops first (its job resumes on restart), the relay last.
    return MediaProcessor(
        service: AssembledService(
            name: settings.name, rpcServer: rpc, services: tracing + [relay] + metrics + [rpc] + (deadLetters.map { [$0] } ?? []) + [runner]),
        objects: objects, status: status, database: database, outbox: outbox, jobs: jobs)
}
