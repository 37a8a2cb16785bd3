import CutlineCore
import CutlineOutbox
import CutlineSQLite
import CutlineStatusStore
import CutlineTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// The outbox's promise under a crash: a writer process killed with SIGKILL mid-stream and restarted
/// loses no committed write, the relay delivers every one in order per job, and no job's status ever
/// shows an older version than one it showed before.
@Suite(.timeLimit(.minutes(3)))
struct OutboxCrashTests {
    @Test func killedWriterLosesNoCommittedWriteAndNoJobMovesBackwards() async throws {
        let fixture = try OutboxFixture()
        defer { fixture.cleanUp() }
        let path = fixture.directory.appendingPathComponent("writer.sqlite").path
        let arguments = [TestEnvironment.executable("cutline-state-bench"), "write", "--db", path, "--jobs", "100", "--writes-per-job", "100"]

        // The relay and a watcher run against the writer's database while it is killed and restarted.
        let writerDatabase = try SQLiteDatabase(
            path: path,
            migrations: Outbox.migrations + [
                SQLiteMigration("bench: jobs", "CREATE TABLE bench_jobs (job_id TEXT PRIMARY KEY, clips_done INTEGER NOT NULL);")
            ])
        let store = OutboxStore(database: writerDatabase)
        var logger = Logger(label: "test.relay")
        logger.logLevel = .critical
        // The relay's own order, as the sink receives it (stale writes included, which the sink's
        // version check would hide).
        let received = ReceivedOrder(forwardingTo: fixture.sink)
        let relay = OutboxRelay(store: store, sink: received, logger: logger)
        let relayTask = Task { try await relay.run() }
        let regressions = Mutex<[String]>([])
        let watching = Task {
            var seen: [String: Int64] = [:]
            while !Task.isCancelled {
                let rows = try await fixture.sink.database.read { try $0.query("SELECT job_id, version FROM job_status") }
                for row in rows {
                    let job = row.text(0) ?? ""
                    let version = row.integer(1) ?? 0
                    if version < seen[job, default: 0] { regressions.withLock { $0.append("\(job): \(seen[job]!) → \(version)") } }
                    seen[job] = max(seen[job, default: 0], version)
                }
                try await Task.sleep(for: .milliseconds(5))
            }
        }

        // The first writer slows down after 2,000 writes so the kill surely lands while it is writing,
        // however fast or busy the machine is.
        let first = try ChildProcess(arguments + ["--slow-after", "2000", "--delay-ms", "5"])
        try await waitFor(timeout: 60) { try await store.stats().pending + store.stats().delivered >= 2000 }
        first.signal(SIGKILL)
        #expect(await Task.detached { first.wait(timeout: 10) }.value == 128 + SIGKILL)
        let committedAtKill = try await writerDatabase.read { try $0.query("SELECT count(*) FROM outbox").first?.integer(0) ?? 0 }
        #expect(committedAtKill > 0 && committedAtKill < 10_000, "the kill landed mid-stream (\(committedAtKill) committed)")

        let second = try ChildProcess(arguments)
        #expect(await Task.detached { second.wait(timeout: 120) }.value == 0, "restarted writer: \(second.standardError)")
        try await waitFor(timeout: 60) { try await store.stats().pending == 0 }
        relayTask.cancel()
        watching.cancel()
        _ = try? await relayTask.value

        // Every committed write is there exactly once per (job, clip), and was delivered.
        let counts = try await writerDatabase.read { connection in
            try connection.query("SELECT count(*), count(DISTINCT job_id || ':' || version), sum(delivered_at IS NULL) FROM outbox").first!
        }
        #expect(counts.integer(0) == 10_000)
        #expect(counts.integer(1) == 10_000)
        #expect(counts.integer(2) == 0)
        // In order per job, as the sink received them: never a version below one already received
        // (a retry may repeat one), and every version arrived.
        let byJob = received.versionsByJob
        #expect(byJob.count == 100)
        for (job, versions) in byJob {
            let firstDrop = zip(versions, versions.dropFirst()).first { $0.1 < $0.0 }
            #expect(firstDrop == nil, "job \(job) received version \(firstDrop.map { "\($0.1) after \($0.0)" } ?? "")")
            #expect(Set(versions).count == 100, "job \(job) received \(Set(versions).count) distinct versions")
        }
        // Every job ends at its last write.
        let last = StatusVersion(attempt: 1, state: .processing, clipsDone: 99).value
        let finals = try await fixture.sink.database.read {
            try $0.query("SELECT count(*) FROM job_status WHERE version = ?", [.integer(last)]).first?.integer(0)
        }
        #expect(finals == 100)
        #expect(regressions.withLock { $0 }.isEmpty, "versions went backwards: \(regressions.withLock { $0.prefix(5) })")
    }
}

func waitFor(timeout seconds: Double, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestSupportError("condition did not hold within \(seconds) s") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// Forwards every write to the real sink and keeps the order in which the relay sent them.
final class ReceivedOrder: StatusSink {
    private let sink: any StatusSink
    private let order = Mutex<[JobID: [Int64]]>([:])

    init(forwardingTo sink: any StatusSink) {
        self.sink = sink
    }

    func apply(_ write: StatusWrite) async throws -> SinkOutcome {
        order.withLock { $0[write.jobID, default: []].append(write.version) }
        return try await sink.apply(write)
    }

    var versionsByJob: [JobID: [Int64]] { order.withLock { $0 } }
}
