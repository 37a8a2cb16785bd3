import CutlineCore
import CutlineOutbox
import CutlineSQLite
import CutlineStatusStore
import CutlineTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// A fresh service database with the outbox and a local table standing for the service's own state,
/// plus a fresh embedded status store as the sink.
struct OutboxFixture {
    let directory: URL
    let database: SQLiteDatabase
    let store: OutboxStore
    let sink: SQLiteStatusStore
    let relay: OutboxRelay

    init(backoffInitial: Duration = .milliseconds(1), backoffMax: Duration = .milliseconds(5)) throws {
        directory = try TestEnvironment.temporaryDirectory("outbox")
        database = try SQLiteDatabase(
            path: directory.appendingPathComponent("service.sqlite").path,
            migrations: Outbox.migrations + [
                SQLiteMigration("test: jobs", "CREATE TABLE jobs (job_id TEXT PRIMARY KEY, state TEXT NOT NULL);")
            ])
        store = OutboxStore(database: database)
        sink = try SQLiteStatusStore(path: directory.appendingPathComponent("status.sqlite").path)
        var configuration = OutboxRelay.Configuration()
        configuration.backoffInitial = backoffInitial
        configuration.backoffMax = backoffMax
        var logger = Logger(label: "test.relay")
        logger.logLevel = .critical
        relay = OutboxRelay(store: store, sink: sink, configuration: configuration, logger: logger)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    /// A local state change and its status write, in one transaction.
    func record(_ write: StatusWrite) async throws {
        try await database.write { connection in
            try connection.execute(
                "INSERT INTO jobs (job_id, state) VALUES (?, ?) ON CONFLICT (job_id) DO UPDATE SET state = excluded.state",
                [.text(write.jobID.description), .text(write.state.rawValue)])
            try Outbox.enqueue(write, on: connection)
        }
    }

    func drain() async throws {
        for _ in 0..<1000 where try await store.stats().pending > 0 {
            try await relay.deliverOnce()
        }
    }
}

@Suite struct OutboxTests {
    @Test func writeIsEnqueuedOnlyIfItsTransactionCommits() async throws {
        let fixture = try OutboxFixture()
        defer { fixture.cleanUp() }
        let job = JobID.make()
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await fixture.database.write { connection in
                try connection.execute("INSERT INTO jobs (job_id, state) VALUES (?, 'CREATED')", [.text(job.description)])
                try Outbox.enqueue(StatusWrite(jobID: job, state: .created), on: connection)
                throw Abort()
            }
        }
        #expect(try await fixture.store.stats().pending == 0)
        try await fixture.record(StatusWrite(jobID: job, state: .created))
        #expect(try await fixture.store.stats().pending == 1)
    }

    @Test func relayDeliversToTheSinkAndMarksRowsDelivered() async throws {
        let fixture = try OutboxFixture()
        defer { fixture.cleanUp() }
        let job = JobID.make()
        try await fixture.record(StatusWrite(jobID: job, state: .created, params: #"{"every":10}"#, createdAt: Date()))
        try await fixture.record(StatusWrite(jobID: job, state: .queued))
        try await fixture.record(
            StatusWrite(
                jobID: job, state: .processing, clipsDone: 2, progress: JobProgress(clipsDone: 2, clipsTotal: 5),
                clips: [ClipRecord(index: 0, start: 0, duration: 10, text: "a", key: "clips/\(job)/000.mp4", size: 100)]))
        #expect(try await fixture.relay.deliverOnce() == 3)
        let stats = try await fixture.store.stats()
        #expect(stats.pending == 0 && stats.delivered == 3)
        let status = try #require(try await fixture.sink.status(of: job))
        #expect(status.state == .processing)
        #expect(status.progress == JobProgress(clipsDone: 2, clipsTotal: 5))
        #expect(status.params == #"{"every":10}"#, "fields a write does not own are kept")
        #expect(status.createdAt != nil)
        #expect(status.clips.count == 1)
    }

    @Test func staleAndDuplicateWritesAreNoOps() async throws {
        let fixture = try OutboxFixture()
        defer { fixture.cleanUp() }
        let job = JobID.make()
        let later = StatusWrite(jobID: job, state: .processing, clipsDone: 3)
        #expect(try await fixture.sink.apply(later) == .applied)
        #expect(try await fixture.sink.apply(later) == .stale)
        #expect(try await fixture.sink.apply(StatusWrite(jobID: job, state: .queued)) == .stale)
        #expect(try await fixture.sink.status(of: job)?.version == later.version)
    }

    @Test func firstTerminalStateWinsWithinAnAttempt() async throws {
        let fixture = try OutboxFixture()
        defer { fixture.cleanUp() }
        let job = JobID.make()
        #expect(try await fixture.sink.apply(StatusWrite(jobID: job, state: .cancelled)) == .applied)
        #expect(try await fixture.sink.apply(StatusWrite(jobID: job, state: .completed)) == .stale)
        #expect(try await fixture.sink.apply(StatusWrite(jobID: job, state: .processing, clipsDone: 999)) == .stale)
        #expect(try await fixture.sink.status(of: job)?.state == .cancelled)
        // A new attempt is a new, higher range of versions.
        #expect(try await fixture.sink.apply(StatusWrite(jobID: job, state: .queued, attempt: 2)) == .applied)
    }

    @Test func manyJobsAreDeliveredInOrderAndEndAtTheirLastVersion() async throws {
        let fixture = try OutboxFixture()
        defer { fixture.cleanUp() }
        let jobs = (0..<20).map { _ in JobID.make() }
        for clip in 0..<10 {
            for job in jobs {
                try await fixture.record(
                    StatusWrite(
                        jobID: job, state: .processing, clipsDone: Int64(clip),
                        progress: JobProgress(clipsDone: Int64(clip), clipsTotal: 10)))
            }
        }
        try await fixture.drain()
        for job in jobs {
            let status = try #require(try await fixture.sink.status(of: job))
            #expect(status.progress?.clipsDone == 9)
        }
    }

    @Test func sinkOutageKeepsRowsPendingInOrderUntilItRecovers() async throws {
        let fixture = try OutboxFixture()
        defer { fixture.cleanUp() }
        let job = JobID.make()
        try await fixture.record(StatusWrite(jobID: job, state: .created))
        // A real outage of the embedded sink: its table disappears under it.
        try await fixture.sink.database.write { try $0.execute("ALTER TABLE job_status RENAME TO job_status_away") }
        try await fixture.record(StatusWrite(jobID: job, state: .queued))
        #expect(try await fixture.relay.deliverOnce() == 0)
        let failed = try await fixture.store.list(stuckOnly: false)
        #expect(failed.count == 2)
        #expect(failed[0].attempts == 1 && failed[0].lastError?.contains("job_status") == true)
        #expect(failed[1].attempts == 0, "the later row of the same job waits behind the failed one")

        try await fixture.sink.database.write { try $0.execute("ALTER TABLE job_status_away RENAME TO job_status") }
        try await Task.sleep(for: .milliseconds(20))
        try await fixture.drain()
        #expect(try await fixture.sink.status(of: job)?.state == .queued)
    }

    @Test func rowsFailingTooOftenAreListedAsStuckWithTheirLastError() async throws {
        let fixture = try OutboxFixture()
        defer { fixture.cleanUp() }
        let job = JobID.make()
        try await fixture.record(StatusWrite(jobID: job, state: .created))
        try await fixture.sink.database.write { try $0.execute("DROP TABLE job_status") }
        var policy = StuckPolicy()
        policy.attempts = 3
        for hour in 1...3 {
            try await fixture.relay.deliverOnce(now: Date().addingTimeInterval(3600 * Double(hour)))
        }
        let stuck = try await fixture.store.list(stuckOnly: true, policy: policy)
        #expect(stuck.map(\.jobID) == [job.description])
        #expect(stuck[0].lastError?.contains("no such table") == true)
        #expect(try await fixture.store.stats(policy: policy).stuck == 1)
    }

    /// The delays themselves, as the rows record them: doubling from the initial wait, capped at a
    /// maximum that may be under a second (it used to be read in whole seconds, so 400 ms became 0).
    @Test func retriesBackOffByDoublingUpToASubSecondMaximum() async throws {
        let fixture = try OutboxFixture(backoffInitial: .milliseconds(100), backoffMax: .milliseconds(400))
        defer { fixture.cleanUp() }
        try await fixture.record(StatusWrite(jobID: .make(), state: .created))
        try await fixture.sink.database.write { try $0.execute("DROP TABLE job_status") }
        // Each pass runs "later", once the row's retry time has come; the delay is what it schedules.
        var now = Date()
        var delays: [Double] = []
        for _ in 0..<5 {
            try await fixture.relay.deliverOnce(now: now)
            let row = try #require(try await fixture.store.list(stuckOnly: false).first)
            delays.append(row.nextAttemptAt.timeIntervalSince(now))
            now = row.nextAttemptAt
        }
        let expected: [ClosedRange<Double>] = [0.05...0.1, 0.1...0.2, 0.2...0.4, 0.2...0.4, 0.2...0.4]
        for (delay, range) in zip(delays, expected) {
            #expect(range.contains(delay), "delays \(delays)")
        }
    }

    /// A row that does not decode is set aside with its reason, and every other write is delivered.
    @Test func undecodableRowIsQuarantinedAndTheRestAreDelivered() async throws {
        let fixture = try OutboxFixture()
        defer { fixture.cleanUp() }
        let (broken, other) = (JobID.make(), JobID.make())
        try await fixture.record(StatusWrite(jobID: broken, state: .created))
        try await fixture.record(StatusWrite(jobID: other, state: .created))
        try await fixture.database.write { connection in
            try connection.execute("UPDATE outbox SET payload = '{\"job_id\": 7' WHERE job_id = ?", [.text(broken.description)])
        }
        try await fixture.record(StatusWrite(jobID: broken, state: .queued))
        try await fixture.record(StatusWrite(jobID: other, state: .queued))
        try await fixture.drain()
        #expect(try await fixture.sink.status(of: other)?.state == .queued)
        #expect(try await fixture.sink.status(of: broken)?.state == .queued, "the job's later writes still arrive")
        let stats = try await fixture.store.stats()
        #expect(stats.pending == 0 && stats.quarantined == 1 && stats.stuck == 1)
        let stuck = try await fixture.store.list(stuckOnly: true)
        #expect(stuck.map(\.jobID) == [broken.description])
        #expect(stuck.first?.quarantinedAt != nil)
        #expect(stuck.first?.lastError?.contains("not a status write") == true)
    }

    @Test func deliveredRowsArePurgedAfterTheRetention() async throws {
        let fixture = try OutboxFixture()
        defer { fixture.cleanUp() }
        try await fixture.record(StatusWrite(jobID: .make(), state: .created))
        try await fixture.relay.deliverOnce()
        #expect(try await fixture.store.purgeDelivered(olderThan: .seconds(3600)) == 0)
        #expect(try await fixture.store.purgeDelivered(olderThan: .seconds(3600), now: Date().addingTimeInterval(7200)) == 1)
    }
}

@Suite struct SQLiteTests {
    @Test func errorsCarrySQLitesMessageAndTheSQL() async throws {
        let directory = try TestEnvironment.temporaryDirectory("sqlite")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try SQLiteDatabase(path: directory.appendingPathComponent("db.sqlite").path)
        do {
            try await database.read { try $0.execute("SELECT * FROM missing_table") }
            Issue.record("query on a missing table succeeded")
        } catch let error as SQLiteError {
            #expect(error.message.contains("no such table: missing_table"))
            #expect(error.sql == "SELECT * FROM missing_table")
            #expect(error.description.contains("db.sqlite"))
        }
    }

    /// What a service acknowledged survives a power loss: every commit is synced (synchronous=FULL, 2).
    @Test func commitsAreSyncedBeforeTheyReturn() async throws {
        let directory = try TestEnvironment.temporaryDirectory("sqlite")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try SQLiteDatabase(path: directory.appendingPathComponent("db.sqlite").path)
        let level = try await database.read { try $0.query("PRAGMA synchronous").first?.integer(0) }
        #expect(level == 2)
    }

    @Test func migrationsRunOnceAndInOrder() throws {
        let directory = try TestEnvironment.temporaryDirectory("sqlite")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("db.sqlite").path
        let a = SQLiteMigration("a", "CREATE TABLE a (x);")
        let b = SQLiteMigration("b", "CREATE TABLE b (y);")
        _ = try SQLiteDatabase(path: path, migrations: [a])
        let reopened = try SQLiteDatabase(path: path, migrations: [a, b])
        let applied = try reopened.writeSync { try $0.query("SELECT name FROM cutline_migrations ORDER BY rowid").map { $0.text(0) } }
        #expect(applied == ["a", "b"])
        #expect(throws: SQLiteError.self) { try SQLiteDatabase(path: path, migrations: [a]) }
    }

    /// Processes open one new file at once (the services and the operator tool will): each opening
    /// waits for the others' migration transaction and finds the schema there, never "already exists".
    @Test func manyConnectionsMigratingOneNewFileAtOnceAllSucceed() throws {
        for round in 0..<20 {
            let directory = try TestEnvironment.temporaryDirectory("sqlite")
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("db.sqlite").path
            let migrations = Outbox.migrations + [SQLiteMigration("test: jobs", "CREATE TABLE jobs (job_id TEXT PRIMARY KEY);")]
            let failures = Mutex<[String]>([])
            let group = DispatchGroup()
            // All openers are released at one moment, so their migrations overlap as far as they can.
            let gate = DispatchSemaphore(value: 0)
            for _ in 0..<8 {
                group.enter()
                Thread {
                    defer { group.leave() }
                    gate.wait()
                    do { _ = try SQLiteDatabase(path: path, migrations: migrations) } catch { failures.withLock { $0.append("\(error)") } }
                }.start()
            }
            Thread.sleep(forTimeInterval: 0.02)
            for _ in 0..<8 { gate.signal() }
            group.wait()
            #expect(failures.withLock { $0 }.isEmpty, "round \(round): \(failures.withLock { $0 })")
            let database = try SQLiteDatabase(path: path, migrations: nil)
            #expect(try database.writeSync { try $0.query("SELECT count(*) FROM cutline_migrations").first?.integer(0) } == Int64(migrations.count))
        }
    }

    @Test func journalIsWriteAhead() throws {
        let directory = try TestEnvironment.temporaryDirectory("sqlite")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try SQLiteDatabase(path: directory.appendingPathComponent("db.sqlite").path)
        #expect(try database.writeSync { try $0.query("PRAGMA journal_mode").first?.text(0) } == "wal")
    }
}
