import CutlineContracts
import CutlineCore
public import CutlineJobStore
public import CutlineOutbox
public import CutlineSQS
import Foundation
public import Logging
public import ServiceLifecycle

/// Reads the shared queue's dead-letter queue, where SQS moves a task received too many times without
/// being finished (its processors kept dying on it), and fails the job `render_crashed` through this
/// processor's outbox. Without a redrive policy on the queue it says so once and has nothing to do.
public struct DeadLetterWatcher: Service {
    let queue: SQSJobQueue
    let jobs: MediaProcessorJobs
    let status: any StatusStore
    let logger: Logger
    let wait: Duration

    public init(
        queue: SQSJobQueue, jobs: MediaProcessorJobs, status: any StatusStore, logger: Logger,
        wait: Duration = .seconds(5)
    ) {
        self.queue = queue
        self.jobs = jobs
        self.status = status
        self.logger = logger
        self.wait = wait
    }

    public func run() async throws {
        var deadLetters: (url: URL, maxReceiveCount: Int)?
        var said = false
        while !Task.isCancelled && !Task<Never, Never>.isShuttingDownGracefully {
            do {
                if deadLetters == nil { deadLetters = try await queue.client.deadLetterQueue(of: queue.url) }
                guard let found = deadLetters else {
                    if !said {
                        logger.warning(
                            "the job queue has no dead-letter queue: a job whose render keeps stopping its processor is retried until its message expires (`cutline queue create` sets one)"
                        )
                        said = true
                    }
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(60)) }
                    continue
                }
                for message in try await queue.client.receive(found.url, maximum: 10, wait: wait) {
                    // A failure not recorded leaves the letter for the next look.
                    if await settle(message, receives: found.maxReceiveCount) {
                        try await queue.client.delete(found.url, receiptHandle: message.receiptHandle)
                    }
                }
            } catch {
                logger.error("cannot read the dead-letter queue", metadata: ["error": "\(error)"])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(5)) }
            }
        }
    }

    /// Fails the job the message names, unless it has ended already; false when that could not be recorded.
    func settle(_ message: SQSMessage, receives: Int) async -> Bool {
        guard let task = try? RenderTask.decode(message.body) else {
            logger.error("a dead letter is not a render task; deleted", metadata: ["message_id": "\(message.messageID)"])
            return true
        }
        var logger = self.logger
        logger[metadataKey: "job_id"] = "\(task.jobID)"
        let record = try? await status.status(of: task.jobID)
        if let record, record.attempt >= task.attempt, record.state.isTerminal { return true }
        let failure = JobFailure(
            code: "render_crashed",
            message: "this job's task was taken up \(receives) times without finishing (its MediaProcessors stopped, or could not reach "
                + "the object or status store), so it was not started again; check the processors' logs, then submit the job again")
        logger.error("job failed: its task was given up after \(receives) receives", metadata: ["code": "render_crashed"])
        do {
            // A whole-record write: it fails a job split into tasks as well, and keeps the clips stored.
            try await jobs.failUnread(task.jobID, attempt: task.attempt, failure: failure)
            return true
        } catch {
            logger.error("cannot record the failure", metadata: ["error": "\(error)"])
            return false
        }
    }
}
