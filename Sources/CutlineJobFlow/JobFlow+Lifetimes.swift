public import CutlineCore
public import CutlineJobStore
import CutlineStorage
public import Foundation
public import Logging

/// What is kept and for how long: a job's files deleted on request (`DELETE …?purge=true`) or when
/// their retention ends, and uploads that never finished aborted. The sweeper calls `sweep` on a timer.
extension JobFlow {
    /// Deletes the job's source (aborting an unfinished multipart upload) and everything its render
    /// stored, and records when. Deleting what is already gone succeeds, so a pass can be repeated.
    public func deleteFiles(of job: GatewayJob, logger: Logger) async throws(JobFlowError) {
        let clips = try await storage { try await objects.list(prefix: ObjectKeys.clipsPrefix(job.jobID)) }
        try await storage {
            if let uploadID = job.uploadID {
                do {
                    try await objects.abortMultipartUpload(key: job.sourceKey, uploadID: uploadID)
                } catch let error as StorageError where error.code == .noSuchUpload {
                    // Completed or aborted before: nothing to abort.
                }
            }
            try await objects.delete(key: job.sourceKey)
            for clip in clips { try await objects.delete(key: clip.key) }
        }
        try await stored { try await jobs.filesDeleted(job.jobID) }
        changed(job.jobID)
        logger.info("job files deleted", metadata: ["job_id": "\(job.jobID)", "clip_objects": "\(clips.count)"])
    }

    /// Cancels the job if it is still going, then deletes its files: the user's "remove it all".
    public func purge(_ jobID: JobID, logger: Logger) async throws(JobFlowError) -> JobState {
        let job = try await job(jobID)
        var state = try await state(of: job)
        if !state.isTerminal {
            try await cancel(jobID, logger: logger)
            state = .cancelled
        }
        try await deleteFiles(of: job, logger: logger)
        return state
    }

    public struct Swept: Sendable, Hashable {
        public var uploadsExpired = 0
        public var jobsDeleted = 0
        /// Status writes handed to an outbox that the status store still did not show (`JobStore.resendUndelivered`).
        public var writesResent = 0

        public init() {}
    }

    /// One pass of the sweeper: unfinished uploads past `lifetimes.uploadTTL` are aborted and their jobs
    /// FAILED `upload_expired`; finished jobs past `lifetimes.retention` lose their files; jobs whose
    /// files went in the last hour are looked at again (a clip a stopping render stored late). First,
    /// status writes handed over more than `resendAfter` ago that never arrived are handed over again.
    public func sweep(_ lifetimes: StorageLifetimes, now: Date = Date(), resendAfter: TimeInterval = 120, logger: Logger) async -> Swept {
        var swept = Swept()
        do {
            let resent = try await jobs.resendUndelivered(handedOverBefore: now.addingTimeInterval(-resendAfter), status: status)
            for jobID in resent.jobs {
                changed(jobID)
                logger.notice("status write handed over again", metadata: ["job_id": "\(jobID)"])
                swept.writesResent += 1
            }
            for problem in resent.problems {
                logger.error("a job record's undelivered write cannot be read; the others went on", metadata: ["problem": "\(problem)"])
            }
        } catch {
            logger.error("resending undelivered status writes stopped; the next sweep goes on", metadata: ["error": "\(error)"])
        }
        let uploadTTL = StorageLifetimes.seconds(lifetimes.uploadTTL)
        do {
            for job in try await jobs.unfinishedUploads(createdBefore: now.addingTimeInterval(-uploadTTL)) {
                let failure = JobFailure(
                    code: "upload_expired",
                    message: "the upload did not finish within \(Self.words(uploadTTL)) (CUTLINE_UPLOAD_TTL); start a new job")
                guard try await jobs.uploadExpired(job.jobID, failure: failure) else { continue }
                changed(job.jobID)
                logger.notice("upload expired", metadata: ["job_id": "\(job.jobID)"])
                try await deleteFiles(of: job, logger: logger)
                swept.uploadsExpired += 1
            }
            if let retention = lifetimes.retention {
                for job in try await jobs.withFiles(createdBefore: now.addingTimeInterval(-StorageLifetimes.seconds(retention))) {
                    // A job still rendering keeps its files until it ends.
                    guard try await state(of: job).isTerminal else { continue }
                    try await deleteFiles(of: job, logger: logger)
                    swept.jobsDeleted += 1
                }
            }
            for job in try await jobs.filesDeleted(after: now.addingTimeInterval(-3600)) {
                let late = try await storage { try await objects.list(prefix: ObjectKeys.clipsPrefix(job.jobID)) }
                guard !late.isEmpty else { continue }
                try await deleteFiles(of: job, logger: logger)
            }
        } catch {
            logger.error("sweep stopped; the next one goes on", metadata: ["error": "\(error)"])
        }
        return swept
    }

    static func words(_ seconds: TimeInterval) -> String {
        switch seconds {
        case 86400... where seconds.truncatingRemainder(dividingBy: 86400) == 0: "\(Int(seconds / 86400)) d"
        case 3600... where seconds.truncatingRemainder(dividingBy: 3600) == 0: "\(Int(seconds / 3600)) h"
        case 60... where seconds.truncatingRemainder(dividingBy: 60) == 0: "\(Int(seconds / 60)) min"
        default: "\(Int(seconds)) s"
        }
    }
}
