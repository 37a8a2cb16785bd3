import ArgumentParser
import CutlineCore
import CutlineDynamoDB
import CutlineHTTP
import CutlineOutbox
import CutlineSQLite
import CutlineStatusStore
import Foundation
import Logging

/// Writes status updates through the outbox as a service would (a local state change and its status
/// write in one transaction). Used by the crash test (killed with SIGKILL and restarted: it resumes
/// from its committed state) and by scripts/bench-state for the durable enqueue rate.
@main
struct StateBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutline-state-bench",
        abstract: "Write job status updates through the outbox (crash tests and scripts/bench-state).",
        subcommands: [Write.self, Drain.self]
    )
}

struct Write: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Enqueue PROCESSING writes for JOBS jobs, WRITES each, round-robin.")

    @Option(help: "The service database (created if missing).")
    var db: String

    @Option(help: "Number of jobs.")
    var jobs = 100

    @Option(help: "Status writes per job.")
    var writesPerJob = 100

    @Option(help: "Writes per transaction.")
    var batch = 1

    @Option(help: "After this many writes, pause --delay-ms between transactions (so a crash test can kill it mid-stream).")
    var slowAfter: Int?

    @Option(help: "Pause between transactions once --slow-after is reached, in milliseconds.")
    var delayMs = 2

    static let migrations =
        Outbox.migrations + [
            SQLiteMigration("bench: jobs", "CREATE TABLE bench_jobs (job_id TEXT PRIMARY KEY, clips_done INTEGER NOT NULL);")
        ]

    /// Job ids are fixed by index so a restarted writer continues the same jobs.
    static func jobID(_ index: Int) -> JobID {
        JobID(uuid: UUID(uuidString: String(format: "00000000-0000-4000-8000-%012x", index))!)
    }

    func validate() throws {
        guard jobs > 0, writesPerJob > 0, writesPerJob <= StatusVersion.maximumClips, batch > 0 else {
            throw ValidationError("--jobs, --writes-per-job (< 1000000) and --batch must be positive")
        }
    }

    func run() throws {
        let database = try SQLiteDatabase(path: db, migrations: Self.migrations)
        let done = try database.writeSync { connection -> [String: Int64] in
            var done: [String: Int64] = [:]
            for row in try connection.query("SELECT job_id, clips_done FROM bench_jobs") {
                done[row.text(0) ?? ""] = row.integer(1) ?? -1
            }
            return done
        }
        // Everything not yet committed, in the order a first run would have written it.
        var work: [(JobID, Int64)] = []
        for clip in 0..<Int64(writesPerJob) {
            for index in 0..<jobs {
                let job = Self.jobID(index)
                if clip > (done[job.description] ?? -1) { work.append((job, clip)) }
            }
        }
        let started = Date()
        var written = 0
        for chunk in stride(from: 0, to: work.count, by: batch) {
            let slice = work[chunk..<min(chunk + batch, work.count)]
            try database.writeSync { connection in
                let update = try connection.prepare(
                    "INSERT INTO bench_jobs (job_id, clips_done) VALUES (?, ?) ON CONFLICT (job_id) DO UPDATE SET clips_done = excluded.clips_done")
                for (job, clip) in slice {
                    try update.bind([.text(job.description), .integer(clip)])
                    while try update.step() {}
                    let write = StatusWrite(
                        jobID: job, state: .processing, clipsDone: clip,
                        progress: JobProgress(clipsDone: clip, clipsTotal: Int64(writesPerJob)))
                    try Outbox.enqueue(write, on: connection)
                }
            }
            written += slice.count
            if let slowAfter, written >= slowAfter { usleep(UInt32(delayMs * 1000)) }
        }
        let seconds = Date().timeIntervalSince(started)
        print(
            String(
                format: "wrote %d status writes in %.3f s: %.0f writes/s (batch %d)", written, seconds, Double(written) / max(seconds, 1e-9), batch))
    }
}

struct Drain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Deliver every pending outbox row of --db to DynamoDB (standard AWS variables, CUTLINE_DYNAMODB_TABLE), or to the embedded status table --status-db, and report the rate."
    )

    @Option(help: "The service database holding the outbox.")
    var db: String

    @Option(help: "Deliver into this embedded status table (SQLite file) instead of DynamoDB.")
    var statusDb: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let http = try HTTPClient()
        defer { http.shutdown() }
        let sink: any StatusSink
        let target: String
        if let statusDb {
            sink = try SQLiteStatusStore(path: statusDb)
            target = statusDb
        } else {
            guard let table = environment["CUTLINE_DYNAMODB_TABLE"], !table.isEmpty else {
                throw ValidationError("set CUTLINE_DYNAMODB_TABLE, or pass --status-db")
            }
            let dynamo = DynamoDBStatusSink(client: try DynamoDBClient(environment: environment, http: http), table: table)
            try await dynamo.createTable()
            sink = dynamo
            target = "DynamoDB"
        }
        let store = OutboxStore(database: try SQLiteDatabase(path: db, migrations: nil))
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let relay = OutboxRelay(store: store, sink: sink, logger: logger)
        let started = Date()
        var delivered = 0
        while try await store.stats().pending > 0 {
            delivered += try await relay.deliverOnce()
        }
        let seconds = Date().timeIntervalSince(started)
        print(
            String(
                format: "delivered %d status writes to %@ in %.3f s: %.0f writes/s", delivered, target, seconds,
                Double(delivered) / max(seconds, 1e-9)))
    }
}
