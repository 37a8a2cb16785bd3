public import CutlineOutbox
public import CutlineServiceHost
public import CutlineSettings
public import CutlineSQLite
public import CutlineStorage
public import Logging

/// The Gateway as assembled from its settings: its RPC server, its object store and status store
/// (chosen once, from configuration), and its outbox with the relay that delivers it.
public struct Gateway: Sendable {
    public let service: AssembledService
    public let objects: any ObjectStore
    public let status: any StatusStore
    /// The Gateway's own database: its outbox (and, with the HTTP API, its jobs).
    public let database: SQLiteDatabase
    public let outbox: OutboxStore
}

/// The Gateway's composition root: everything it runs, built from resolved settings. The executable
/// and the tests build the same thing.
public func buildGateway(_ settings: ServiceSettings, logger: Logger) throws -> Gateway {
    let (objects, status) = try settings.makeStores()
    let database = try SQLiteDatabase(path: settings.databasePath, migrations: Outbox.migrations)
    let outbox = OutboxStore(database: database)
    var relayLogger = logger
    relayLogger[metadataKey: "part"] = "relay"
    let relay = OutboxRelay(store: outbox, sink: status, logger: relayLogger)
    let rpc = ServiceHost.rpcServer(settings.rpc, logger: logger)
    logger.info("gateway assembled", metadata: ["objects": "\(objects.location)", "status": "\(settings.status)", "database": "\(settings.databasePath)"])
    return Gateway(service: AssembledService(name: settings.name, rpcServer: rpc, services: [relay, rpc]),
                   objects: objects, status: status, database: database, outbox: outbox)
}
