import CutlineCore
import CutlineJobFlow
import Logging
import ServiceLifecycle

/// Applies the storage lifetimes on a timer (`JobFlow.sweep`): aborts uploads that never finished and
/// deletes the files of jobs past their retention. In S3 mode the bucket's lifecycle rule is the
/// backstop for objects no Gateway remembers.
struct Sweeper: Service {
    let flow: JobFlow
    let lifetimes: StorageLifetimes
    let logger: Logger

    func run() async throws {
        logger.info(
            "sweeper started",
            metadata: [
                "upload_ttl": "\(lifetimes.uploadTTL)", "retention": "\(lifetimes.retention.map { "\($0)" } ?? "off")",
                "interval": "\(lifetimes.sweepInterval)",
            ])
        while !Task.isCancelled && !Task<Never, Never>.isShuttingDownGracefully {
            let swept = await flow.sweep(lifetimes, logger: logger)
            if swept != JobFlow.Swept() {
                logger.info(
                    "swept",
                    metadata: [
                        "uploads_expired": "\(swept.uploadsExpired)", "jobs_deleted": "\(swept.jobsDeleted)",
                        "writes_resent": "\(swept.writesResent)",
                    ])
            }
            // The interval may be long: a shutdown ends the wait.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: lifetimes.sweepInterval) }
        }
    }
}
