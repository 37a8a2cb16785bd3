import ArgumentParser
import CutlineAdapters
import CutlineContracts
import CutlineCore
import CutlineHTTP
import CutlineJobStore
import CutlineOutbox
import CutlineRPC
import CutlineSQLite
import CutlineSQS
import CutlineServiceHost
import CutlineSettings
import CutlineWire
import Foundation
import Logging

/// `cutline jobs list|show|replay`: the operator's view of jobs, from the services' own databases in
/// the data directory (they may be stopped) and the status store.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Find, inspect and replay jobs (stuck ones above all), from the services' databases.",
        subcommands: [List.self, Show.self, Replay.self, Export.self]
    )

    struct Target: ParsableArguments {
        @OptionGroup var common: CommonOptions
        @OptionGroup var status: StatusOptions
        @OptionGroup var storage: StorageOptions
    }

    /// The databases and stores a command works on.
    struct Context {
        let data: String
        let gateway: any JobStore
        /// Where the Gateway's jobs are read from, for the messages.
        let jobsOrigin: String
        let gatewayOutbox: OutboxStore
        let processor: MediaProcessorJobs?
        let processorOutbox: OutboxStore?
        let status: any StatusStore
        let logger: Logger

        static func open(_ target: Target) throws -> Context {
            let common = try ResolvedCommon(target.common)
            LogSetup.bootstrap(format: common.logFormat, level: ProcessInfo.processInfo.environment["CUTLINE_LOG_LEVEL"] ?? "info")
            let gatewayPath = "\(common.dataDirectory)/gateway.sqlite"
            guard FileManager.default.fileExists(atPath: gatewayPath) else {
                throw Refusal("no Gateway database at \(gatewayPath): is CUTLINE_DATA_DIR (--data-dir) the services' data directory?")
            }
            let gateway = try open(gatewayPath, Outbox.migrations + SQLiteJobStore.migrations)
            let mediaPath = "\(common.dataDirectory)/media.sqlite"
            let media =
                FileManager.default.fileExists(atPath: mediaPath) ? try open(mediaPath, Outbox.migrations + MediaProcessorJobs.migrations) : nil
            let settings = try StatusSettings(target.status, common: common)
            let http = try HTTPClient()
            let status = try settings.makeStatusStore { http }
            // As the Gateway chooses: in the distributed mode its jobs are in the DynamoDB table.
            let objects = try StorageSettings(target.storage, common: common).makeObjectStore { http }
            let jobs = try settings.makeJobStore(queue: try QueueSettings(nil), database: gateway, objects: objects) { http }
            return Context(
                data: common.dataDirectory, gateway: jobs,
                jobsOrigin: jobs is SQLiteJobStore ? "\(gatewayPath)" : "the status store's job records",
                gatewayOutbox: OutboxStore(database: gateway),
                processor: media.map { MediaProcessorJobs(database: $0) }, processorOutbox: media.map(OutboxStore.init), status: status,
                logger: Logger(label: "cutline.jobs"))
        }

        /// Opens a service's database as the service does (its migrations are the same, so opening it
        /// while the service runs changes nothing); a locked one is named.
        static func open(_ path: String, _ migrations: [SQLiteMigration]) throws -> SQLiteDatabase {
            do {
                return try SQLiteDatabase(path: path, migrations: migrations)
            } catch let error as SQLiteError where error.isBusy {
                throw Refusal("\(path) is locked by another program (\(error.message)); try again, or stop the service")
            }
        }

        var outboxes: [(String, OutboxStore)] {
            [("gateway", gatewayOutbox)] + (processorOutbox.map { [("media", $0)] } ?? [])
        }

        func job(_ text: String) async throws -> GatewayJob {
            let id: JobID
            do { id = try JobID(validating: text) } catch { throw ValidationError("\"\(text)\" is not a job id (a UUID)") }
            guard let job = try await gateway.job(id) else { throw Refusal("no job \(id) in \(jobsOrigin)") }
            return job
        }

        /// The stored status, or the Gateway's own record when the store cannot be read.
        func state(of job: GatewayJob) async -> (JobState, Date?, String) {
            do {
                if let record = try await status.status(of: job.jobID) { return (record.state, record.updatedAt, "status store") }
            } catch {
                return (job.state, nil, "Gateway's record (status store unreadable: \(error))")
            }
            return (job.state, job.createdAt, "Gateway's record (not in the status store yet)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recent jobs with their state; --stuck: only those that need a look.")
        @OptionGroup var target: Target
        @Option(help: "Only jobs in this state (CREATED, QUEUED, PROCESSING, …).") var state: String?
        @Flag(help: "Only stuck jobs: not finished and unchanged for --for, or with a status write past its retries or quarantined.") var stuck =
            false
        @Option(name: .customLong("for"), help: "Seconds without change after which an unfinished job counts as stuck.") var forSeconds: Double = 600
        @Option(help: "At most this many jobs.") var limit = 100

        func run() async throws {
            let context = try Context.open(target)
            let wanted = try state.map { name in
                guard let state = JobState(rawValue: name.uppercased()) else { throw ValidationError("--state \(name) is not a job state") }
                return state
            }
            var stuckRows: Set<String> = []
            for (_, outbox) in context.outboxes {
                for row in try await outbox.list(stuckOnly: true) { stuckRows.insert(row.jobID) }
            }
            var shown = 0
            for job in try await context.gateway.recent(limit: 10_000) where shown < limit {
                let (state, updated, _) = await context.state(of: job)
                if let wanted, state != wanted { continue }
                let idle = updated.map { Date().timeIntervalSince($0) } ?? 0
                let isStuck = stuckRows.contains(job.jobID.description) || (!state.isTerminal && idle > forSeconds)
                if stuck && !isStuck { continue }
                shown += 1
                print(
                    "\(job.jobID)  \(state.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0))  \(job.createdAt.formatted(.iso8601))  \(job.filename)\(isStuck ? "  STUCK" : "")"
                )
            }
            if shown == 0 { print(stuck ? "no stuck jobs" : "no jobs") }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A job's status record, its status writes in each outbox, and the processor's own state.")
        @OptionGroup var target: Target
        @Argument(help: "The job's id.") var jobID: String

        func run() async throws {
            let context = try Context.open(target)
            let job = try await context.job(jobID)
            print("job \(job.jobID): \(job.filename), \(job.size) bytes, created \(job.createdAt.formatted(.iso8601)), source \(job.sourceKey)")
            let (state, updated, origin) = await context.state(of: job)
            print("state \(state.rawValue) (from the \(origin))\(updated.map { ", updated \($0.formatted(.iso8601))" } ?? "")")
            if let record = try? await context.status.status(of: job.jobID) {
                print(
                    "version \(record.version), clips \(record.clips.count)\(record.progress.map { " of \($0.clipsTotal)" } ?? "")\(record.error.map { ", error \($0.code): \($0.message)" } ?? "")"
                )
                // A job split over processors: who renders (or rendered) which clips.
                for task in record.tasks {
                    print(
                        "task clips \(task.firstClip)-\(task.firstClip + task.clipCount - 1): \(task.state.rawValue), \(task.clipsDone) of \(task.clipCount) done\(task.processor.map { ", on \($0)" } ?? "")"
                    )
                }
            }
            for (name, outbox) in context.outboxes {
                let rows = try await outbox.rows(jobID: job.jobID.description)
                print("\(name) outbox: \(rows.count) write(s)")
                for row in rows {
                    let delivered =
                        row.deliveredAt.map { "delivered \($0.formatted(.iso8601))" } ?? (row.quarantinedAt != nil ? "QUARANTINED" : "PENDING")
                    print(
                        "  #\(row.id) \(row.write?.state.rawValue ?? "?") v\(row.version) \(delivered) attempts \(row.attempts)\(row.lastError.map { " last error: \($0)" } ?? "")"
                    )
                }
            }
            if let processor = context.processor {
                if let held = try await processor.job(job.jobID) {
                    print("processor: \(held.state.rawValue), \(held.clips.count) of \(held.request.plan.count) clips uploaded")
                } else {
                    print("processor: does not hold this job")
                }
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A started job's clips as a cut list for a video editor: CMX 3600 EDL or OpenTimelineIO (.otio).")
        @OptionGroup var target: Target
        @Argument(help: "The job's id.") var jobID: String
        @Option(help: "edl or otio.") var format = "otio"
        @Option(name: .shortAndLong, help: "Write it to this file (default: standard output).") var output: String?

        func run() async throws {
            let format: EditExport.Format
            do { format = try EditExport.Format.named(self.format) } catch { throw ValidationError("--format: \(error.description)") }
            let context = try Context.open(target)
            let job = try await context.job(jobID)
            guard let export = job.editExport, let submitted = job.submitted else {
                throw Refusal("job \(job.jobID) is not started yet: its clips are fixed when it starts")
            }
            let text = try export.rendered(as: format)
            guard let output else {
                print(text, terminator: "")
                return
            }
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw Refusal("cannot write \(output): \(error.localizedDescription)")
            }
            print("wrote \(output): \(submitted.plan.count) clips of \(job.filename)")
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver a job's undelivered status writes now, in order, and hand it to the MediaProcessor again if none holds it.")
        @OptionGroup var target: Target
        @Argument(help: "The job's id.") var jobID: String
        @Option(help: "The MediaProcessor's RPC address. Env CUTLINE_MEDIA_ADDRESS, default 127.0.0.1:7420.") var mediaAddress: String?

        func run() async throws {
            let context = try Context.open(target)
            let job = try await context.job(jobID)
            let (state, _, _) = await context.state(of: job)
            guard !state.isTerminal else { throw Refusal("job \(job.jobID) is \(state.rawValue): finished jobs are not replayed") }
            // With CUTLINE_SQS_QUEUE_URL set (as on the services), jobs go to the shared queue.
            let queue = try QueueSettings(nil).makeJobQueue()
            try await JobContext.$jobID.withValue(job.jobID) {
                for (name, outbox) in context.outboxes {
                    let due = try await outbox.makeDue(jobID: job.jobID.description)
                    guard due > 0 else { continue }
                    // A job queued on the shared queue has its task among these rows.
                    let relay = OutboxRelay(store: outbox, sink: context.status, messages: queue, logger: context.logger)
                    for _ in 0..<20
                    where try await outbox.rows(jobID: job.jobID.description).contains(where: { $0.deliveredAt == nil && $0.quarantinedAt == nil }) {
                        try await relay.deliverOnce()
                    }
                    let left = try await outbox.rows(jobID: job.jobID.description).filter { $0.deliveredAt == nil && $0.quarantinedAt == nil }
                    context.logger.info("status writes replayed", metadata: ["outbox": "\(name)", "writes": "\(due)", "left": "\(left.count)"])
                    print(
                        left.isEmpty
                            ? "\(name): \(due) write(s) delivered"
                            : "\(name): \(left.count) of \(due) write(s) still undelivered: \(left.last?.lastError ?? "")")
                }
                guard let request = job.submitted else {
                    print("not dispatched: the job was never completed (POST /api/upload/complete)")
                    return
                }
                if let queue {
                    print("queued on \(queue.url.absoluteString): a MediaProcessor takes the job from there (`cutline queue show` counts the tasks)")
                    return
                }
                let environment = ProcessInfo.processInfo.environment
                let address = try SocketAddress(
                    parsing: mediaAddress ?? environment["CUTLINE_MEDIA_ADDRESS"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1:7420")
                let secret = try ResolvedCommon(target.common).loadSecret(createIfMissing: false)
                let client = RPCClient(configuration: .init(address: address, secret: secret, clientName: "cutline-jobs"), logger: context.logger)
                defer { client.close() }
                do {
                    let answer = try await client.call(MediaContract.submit, request, timeout: .seconds(10))
                    context.logger.info("job handed to the processor", metadata: ["accepted": "\(answer.accepted)"])
                    print(
                        answer.accepted ? "dispatched: the processor at \(address) took the job" : "the processor at \(address) already holds the job"
                    )
                } catch let error as RPCError {
                    throw Refusal("the processor at \(address) did not take the job: \(error)")
                }
            }
        }
    }
}

/// A refusal the operator can act on: one line (`Error: …`), exit code 1, no usage text.
struct Refusal: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
