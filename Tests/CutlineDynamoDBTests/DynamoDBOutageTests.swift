import CutlineCore
import CutlineDynamoDB
import CutlineHTTP
import CutlineOutbox
import CutlineSQLite
import CutlineTestSupport
import Foundation
import Logging
import Testing

@Suite(.serialized, .timeLimit(.minutes(3)))
struct DynamoDBOutageTests {
    static func client(_ moto: MotoServer, timeout: Duration = .seconds(30)) throws -> (DynamoDBClient, HTTPClient) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = timeout
        configuration.maxAttempts = 1
        let http = try HTTPClient(configuration: configuration)
        return (try DynamoDBClient(environment: moto.environment, http: http), http)
    }

    @Test func missingTableIsAClearError() async throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let (client, http) = try Self.client(moto)
        defer { http.shutdown() }
        let sink = DynamoDBStatusSink(client: client, table: "no-such-table")
        do {
            _ = try await sink.apply(StatusWrite(jobID: .make(), state: .created))
            Issue.record("a write to a missing table succeeded")
        } catch let error as DynamoDBError {
            #expect(error.isResourceNotFound)
            #expect(error.description.contains("no-such-table") && error.description.contains("create-table"))
        }
    }

    @Test func createTableIsIdempotentAndTheTableIsActive() async throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let (client, http) = try Self.client(moto)
        defer { http.shutdown() }
        try await client.createTable("jobs", hashKey: "job_id")
        try await client.createTable("jobs", hashKey: "job_id")
        #expect(try await client.describeTable("jobs") == "ACTIVE")
    }

    /// SIGSTOP: requests hang and time out, state is kept. Writers are not slowed (they only touch SQLite);
    /// rows pile up pending; after SIGCONT they drain.
    @Test func pausedServerLeavesRowsPendingAndTheyDrainOnResume() async throws {
        let moto = try MotoServer()
        defer {
            moto.server.process.signal(SIGCONT)
            moto.stop()
        }
        // Set up with patience (moto's first request loads its DynamoDB backend), then relay with a
        // short timeout so the pause shows up quickly.
        let (setupClient, setupHTTP) = try Self.client(moto, timeout: .seconds(30))
        defer { setupHTTP.shutdown() }
        try await DynamoDBStatusSink(client: setupClient, table: "jobs").createTable()
        let (client, http) = try Self.client(moto, timeout: .milliseconds(500))
        defer { http.shutdown() }
        let sink = DynamoDBStatusSink(client: client, table: "jobs")

        let directory = try TestEnvironment.temporaryDirectory("outage")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try SQLiteDatabase(path: directory.appendingPathComponent("service.sqlite").path, migrations: Outbox.migrations)
        let store = OutboxStore(database: database)
        var relayConfiguration = OutboxRelay.Configuration()
        relayConfiguration.backoffInitial = .milliseconds(50)
        relayConfiguration.backoffMax = .milliseconds(200)
        relayConfiguration.pollInterval = .milliseconds(20)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let relay = OutboxRelay(store: store, sink: sink, configuration: relayConfiguration, logger: logger)
        let relayTask = Task { try await relay.run() }
        defer { relayTask.cancel() }

        let job = JobID.make()
        moto.server.process.signal(SIGSTOP)
        // Every write commits while DynamoDB cannot answer at all: writers never wait on the sink.
        for clip in 0..<200 {
            try await database.write { try Outbox.enqueue(StatusWrite(jobID: job, state: .processing, clipsDone: Int64(clip)), on: $0) }
        }
        try await waitFor(timeout: 30) { try await store.list(stuckOnly: false, limit: 1).first?.attempts ?? 0 > 0 }
        let during = try await store.stats()
        #expect(during.pending == 200)
        #expect(try await store.list(stuckOnly: false, limit: 1).first?.lastError?.contains("timed out") == true)

        moto.server.process.signal(SIGCONT)
        try await waitFor(timeout: 60) { try await store.stats().pending == 0 }
        #expect(try await sink.status(of: job)?.version == StatusVersion(attempt: 1, state: .processing, clipsDone: 199).value)
    }

    /// A fresh server (tables gone): the relay reports the missing table and keeps the rows pending.
    @Test func lostTableKeepsRowsPendingWithAClearError() async throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let (client, http) = try Self.client(moto)
        defer { http.shutdown() }
        let sink = DynamoDBStatusSink(client: client, table: "jobs-gone")
        let directory = try TestEnvironment.temporaryDirectory("lost")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try SQLiteDatabase(path: directory.appendingPathComponent("service.sqlite").path, migrations: Outbox.migrations)
        let store = OutboxStore(database: database)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let relay = OutboxRelay(store: store, sink: sink, logger: logger)
        try await database.write { try Outbox.enqueue(StatusWrite(jobID: .make(), state: .created), on: $0) }
        #expect(try await relay.deliverOnce() == 0)
        let row = try #require(try await store.list(stuckOnly: false).first)
        #expect(row.lastError?.contains("does not exist") == true)
        #expect(try await store.stats().pending == 1)
        try await sink.createTable()
        #expect(try await relay.deliverOnce(now: Date().addingTimeInterval(3600)) == 1)
    }
}

func waitFor(timeout seconds: Double, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestSupportError("condition did not hold within \(seconds) s") }
        try await Task.sleep(for: .milliseconds(20))
    }
}
