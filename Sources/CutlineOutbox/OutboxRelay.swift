import CutlineCore
import CutlineSQLite
public import Foundation
public import Logging
import Metrics
public import ServiceLifecycle

/// Delivers outbox rows to a sink: in order per job, in batches, retrying failures with exponential
/// backoff and jitter, never dropping a row. A `Service` in the owning executable's group.
public final class OutboxRelay: Service, Sendable {
    public struct Configuration: Sendable {
        public var batchSize = 200
        /// Jobs delivered at once (each job's own writes stay in order).
        public var concurrency = 16
        /// How often to look for new rows when the last pass found none.
        public var pollInterval: Duration = .milliseconds(100)
        public var backoffInitial: Duration = .milliseconds(200)
        public var backoffMax: Duration = .seconds(60)
        /// How long delivered rows are kept (for operators); then purged.
        public var retention: Duration = .seconds(86_400)
        public init() {}
    }

    public let store: OutboxStore
    let sink: any StatusSink
    /// Where queue messages go; nil for a service that queues nothing (a message row then waits, with
    /// its reason, until a relay with a queue delivers it).
    let messages: (any MessageSink)?
    let configuration: Configuration
    let logger: Logger

    public init(
        store: OutboxStore, sink: any StatusSink, messages: (any MessageSink)? = nil, configuration: Configuration = .init(), logger: Logger
    ) {
        self.store = store
        self.sink = sink
        self.messages = messages
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        var lastPurge = ContinuousClock.now
        var lastSample = ContinuousClock.now - .seconds(60)
        while !Task.isCancelled && !Task<Never, Never>.isShuttingDownGracefully {
            let delivered: Int
            do {
                delivered = try await deliverOnce()
            } catch {
                logger.error("outbox relay pass failed", metadata: ["error": "\(error)"])
                delivered = 0
            }
            if ContinuousClock.now - lastSample > .seconds(5) {
                lastSample = ContinuousClock.now
                await sample()
            }
            if ContinuousClock.now - lastPurge > .seconds(60) {
                lastPurge = ContinuousClock.now
                _ = try? await store.purgeDelivered(olderThan: configuration.retention)
            }
            if delivered == 0 {
                try? await Task.sleep(for: configuration.pollInterval)
            }
        }
        // One last pass so writes made just before shutdown are not left for the next start.
        _ = try? await deliverOnce()
    }

    /// `cutline_outbox_pending`, `_stuck` and `_oldest_pending_age_seconds`, by database (`gateway`,
    /// `media`): what waits for the status store or the queue, and for how long.
    func sample() async {
        guard let stats = try? await store.stats() else { return }
        let name = URL(fileURLWithPath: store.database.path).deletingPathExtension().lastPathComponent
        Gauge(label: "cutline_outbox_pending", dimensions: [("database", name)]).record(stats.pending)
        Gauge(label: "cutline_outbox_stuck", dimensions: [("database", name)]).record(stats.stuck)
        Gauge(label: "cutline_outbox_oldest_pending_age_seconds", dimensions: [("database", name)]).record(stats.oldestPendingAgeSeconds ?? 0)
    }

    /// One pass over the deliverable rows; returns how many were settled (applied or found stale).
    /// Jobs are delivered concurrently (up to `concurrency` at once); each job's rows strictly in order,
    /// stopping at its first failure so nothing overtakes a write still to be retried.
    @discardableResult
    public func deliverOnce(now: Date = Date()) async throws -> Int {
        let rows = try await store.deliverable(limit: configuration.batchSize, now: now)
        var byJob: [JobID: [PendingWrite]] = [:]
        var order: [JobID] = []
        for row in rows {
            if byJob[row.entry.jobID] == nil { order.append(row.entry.jobID) }
            byJob[row.entry.jobID, default: []].append(row)
        }
        var settled: [Int64] = []
        var failures: [(PendingWrite, String)] = []
        try await withThrowingTaskGroup(of: ([Int64], (PendingWrite, String)?).self) { group in
            var next = 0
            func start() {
                let jobRows = byJob[order[next]]!
                next += 1
                group.addTask { await self.deliver(jobRows) }
            }
            for _ in 0..<min(configuration.concurrency, order.count) { start() }
            while let (done, failure) = try await group.next() {
                settled += done
                if let failure { failures.append(failure) }
                if next < order.count { start() }
            }
        }
        // What was delivered is marked first: a failure to mark a retry must not send those rows again.
        try await store.markDelivered(settled)
        for (row, error) in failures {
            try await store.markFailed(row.id, error: error, retryAt: now.addingTimeInterval(backoff(attempts: row.attempts)))
        }
        return settled.count
    }

    /// Delivers one job's rows in order; returns the settled ids and the first failure, if any.
    private func deliver(_ rows: [PendingWrite]) async -> ([Int64], (PendingWrite, String)?) {
        var settled: [Int64] = []
        var logger = self.logger
        logger[metadataKey: "job_id"] = "\(rows[0].entry.jobID)"
        for row in rows {
            do {
                switch row.entry {
                case .status(let write):
                    let outcome = try await sink.apply(write)
                    logger.trace("status write delivered", metadata: ["version": "\(write.version)", "outcome": "\(outcome)"])
                case .message(let message):
                    guard let messages else { throw NoMessageSink() }
                    try await messages.send(message)
                    logger.debug("queue message sent")
                }
                settled.append(row.id)
            } catch {
                logger.warning(
                    "outbox row not delivered; will retry",
                    metadata: ["row": "\(row.id)", "attempts": "\(row.attempts + 1)", "error": "\(error)"])
                return (settled, (row, "\(error)"))
            }
        }
        return (settled, nil)
    }

    /// The wait before the next try of a row that has failed `attempts` times before this failure:
    /// doubling from `backoffInitial`, capped at `backoffMax`, jittered to 50–100 %.
    func backoff(attempts: Int) -> TimeInterval {
        let base = min(configuration.backoffMax.inSeconds, configuration.backoffInitial.inSeconds * pow(2, Double(min(attempts, 30))))
        return base * Double.random(in: 0.5...1.0)
    }
}

/// Where queue messages from the outbox go (SQS). Delivery is at least once: a message may be sent again
/// after a crash between its send and the row's mark, so its receiver must take it idempotently.
public protocol MessageSink: Sendable {
    func send(_ message: QueuedMessage) async throws
}

struct NoMessageSink: Error, CustomStringConvertible {
    var description: String {
        "this service has a queue message to send but no job queue is configured (set CUTLINE_SQS_QUEUE_URL as on the other services)"
    }
}
