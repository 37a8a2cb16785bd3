import ArgumentParser
import CutlineAdapters
import CutlineCore
import CutlineHTTP
import CutlineOutbox
import CutlineSQLite
import CutlineServiceHost
import CutlineSettings
import Foundation
import Logging

/// `cutline outbox stats|list [--stuck]`: what the status outboxes hold, for operators.
struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Inspect the services' status outboxes (pending, delivered and stuck status writes).",
        subcommands: [Stats.self, List.self, Replay.self]
    )

    struct Target: ParsableArguments {
        @Option(help: "An outbox database file. Default: DATA_DIR/gateway.sqlite and DATA_DIR/media.sqlite, those that exist.")
        var db: [String] = []

        @OptionGroup var common: CommonOptions

        @Option(help: "Attempts after which a pending write counts as stuck.")
        var stuckAttempts = 10

        @Option(help: "Age in seconds after which a pending write counts as stuck.")
        var stuckAge = 600

        var policy: StuckPolicy {
            var policy = StuckPolicy()
            policy.attempts = stuckAttempts
            policy.age = .seconds(stuckAge)
            return policy
        }

        func stores() throws -> [(String, OutboxStore)] {
            var paths = db
            if paths.isEmpty {
                let settings = try ResolvedCommon(common)
                paths = ["gateway", "media"].map { "\(settings.dataDirectory)/\($0).sqlite" }
                    .filter { FileManager.default.fileExists(atPath: $0) }
                guard !paths.isEmpty else {
                    throw ValidationError("no outbox database in \(settings.dataDirectory) (CUTLINE_DATA_DIR); pass --db FILE")
                }
            }
            return try paths.map { path in
                guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no such outbox database: \(path)") }
                return (path, OutboxStore(database: try SQLiteDatabase(path: path, migrations: nil)))
            }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Counts of pending, delivered and stuck writes, and the oldest pending write's age.")
        @OptionGroup var target: Target
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            for (path, store) in try target.stores() {
                let stats = try await store.stats(policy: target.policy)
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    print(String(decoding: try encoder.encode(stats), as: UTF8.self))
                } else {
                    let age = stats.oldestPendingAgeSeconds.map { String(format: "%.1fs", $0) } ?? "-"
                    print(
                        "\(path): pending \(stats.pending), delivered \(stats.delivered), stuck \(stats.stuck) (quarantined \(stats.quarantined)), oldest pending \(age)"
                    )
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pending writes, oldest first, with attempts and last error.")
        @OptionGroup var target: Target
        @Flag(help: "Only writes that count as stuck.") var stuck = false
        @Option(help: "At most this many rows per database.") var limit = 100

        func run() async throws {
            for (path, store) in try target.stores() {
                let rows = try await store.list(stuckOnly: stuck, policy: target.policy, limit: limit)
                print("\(path): \(rows.count) \(stuck ? "stuck" : "pending") write(s)")
                for row in rows {
                    let state = row.write?.state.rawValue ?? "?"
                    let quarantined = row.quarantinedAt == nil ? "" : " quarantined"
                    print(
                        "  #\(row.id) job_id=\(row.jobID) state=\(state) version=\(row.version) attempts=\(row.attempts)\(quarantined) created=\(row.createdAt.formatted(.iso8601)) last_error=\(row.lastError ?? "-")"
                    )
                }
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver pending writes now, whatever their backoff (stuck ones by default; --all: every pending one).")
        @OptionGroup var target: Target
        @OptionGroup var status: StatusOptions
        @Flag(help: "Every pending write, not only the stuck ones.") var all = false

        func run() async throws {
            let common = try ResolvedCommon(target.common)
            let sink = try StatusSettings(status, common: common).makeStatusStore { try HTTPClient() }
            for (path, store) in try target.stores() {
                let jobs = all ? nil : Set(try await store.list(stuckOnly: true, policy: target.policy).map(\.jobID))
                var due = 0
                if let jobs {
                    for job in jobs { due += try await store.makeDue(jobID: job) }
                } else {
                    due = try await store.makeDue()
                }
                let relay = OutboxRelay(store: store, sink: sink, logger: Logger(label: "cutline.outbox"))
                var delivered = 0
                for _ in 0..<1000 where try await store.stats().pending > 0 {
                    let settled = try await relay.deliverOnce()
                    delivered += settled
                    if settled == 0 { break }
                }
                let left = try await store.stats(policy: target.policy)
                print("\(path): \(due) write(s) made due, \(delivered) delivered, \(left.pending) pending, \(left.quarantined) quarantined")
            }
        }
    }
}
