public import CutlineCore
public import Foundation
public import Logging
public import ServiceLifecycle

/// Delivers outbox rows to a sink: in order per job, in batches, retrying failures with exponential
/// backoff and jitter, never dropping a row. A `Service` in the owning executable's group.
public final class OutboxRelay: Service, Sendable {
    public struct Configuration: Sendable {
        public var batchSize = 200
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
    let configuration: Configuration
    let logger: Logger

    public init(store: OutboxStore, sink: any StatusSink, configuration: Configuration = .init(), logger: Logger) {
        self.store = store
        self.sink = sink
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        var lastPurge = ContinuousClock.now
        while !Task.isCancelled && !Task<Never, Never>.isShuttingDownGracefully {
            let delivered: Int
            do {
                delivered = try await deliverOnce()
            } catch {
                logger.error("outbox relay pass failed", metadata: ["error": "\(error)"])
                delivered = 0
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

    /// One pass over the deliverable rows; returns how many were settled (applied or found stale).
    @discardableResult
    public func deliverOnce(now: Date = Date()) async throws -> Int {
        let rows = try await store.deliverable(limit: configuration.batchSize, now: now)
        var settled: [Int64] = []
        var blockedJobs: Set<JobID> = []
        for row in rows {
            let jobID = row.write.jobID
            // An earlier row of this job failed in this pass: keep the job's order.
            guard !blockedJobs.contains(jobID) else { continue }
            var logger = self.logger
            logger[metadataKey: "job_id"] = "\(jobID)"
            do {
                let outcome = try await sink.apply(row.write)
                settled.append(row.id)
                logger.trace("status write delivered", metadata: ["version": "\(row.write.version)", "outcome": "\(outcome)"])
            } catch {
                blockedJobs.insert(jobID)
                let retryAt = now.addingTimeInterval(backoff(attempts: row.attempts))
                try await store.markFailed(row.id, error: "\(error)", retryAt: retryAt)
                logger.warning("status write not delivered; will retry", metadata: [
                    "version": "\(row.write.version)", "attempts": "\(row.attempts + 1)", "error": "\(error)",
                ])
            }
        }
        try await store.markDelivered(settled)
        return settled.count
    }

    func backoff(attempts: Int) -> TimeInterval {
        let initial = Double(configuration.backoffInitial.components.attoseconds) / 1e18 + Double(configuration.backoffInitial.components.seconds)
        let maximum = Double(configuration.backoffMax.components.seconds)
        let base = min(maximum, initial * pow(2, Double(min(attempts, 30))))
        return base * Double.random(in: 0.5...1.0)
    }
}
