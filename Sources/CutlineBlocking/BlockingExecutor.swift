import Foundation
import Synchronization

/// A fixed pool of threads for blocking work (hashing files, file I/O, C libraries), so it never
/// occupies one of Swift's cooperative threads, which async code everywhere needs (after SwiftNIO's
/// `NIOThreadPool`). Jobs run in the order they were submitted, at most `threadCount` at once.
///
/// Cancellation: a job whose task is cancelled before it starts never runs; one that is running sees
/// it through the `BlockingJob` it is given and may stop early.
public final class BlockingExecutor: Sendable {
    /// Shared by the libraries of a process; as many threads as cores, at least two.
    public static let shared = BlockingExecutor(name: "blocking", threadCount: max(2, ProcessInfo.processInfo.activeProcessorCount))

    public let name: String
    public let threadCount: Int
    /// The threads hold this, not the executor, so an executor nobody shuts down still goes away.
    private let pool: Pool

    /// `name`: the threads are `name-0`, `name-1`, … (at most 15 bytes on Linux, with the number).
    public init(name: String, threadCount: Int) {
        precondition(threadCount > 0, "a BlockingExecutor needs at least one thread")
        self.name = name
        self.threadCount = threadCount
        pool = Pool()
        for index in 0..<threadCount {
            let pool = self.pool
            let thread = Thread {
                // Named from inside: on Linux, Foundation applies a name set before start() to nothing.
                Thread.current.name = "\(name)-\(index)"
                pool.work()
            }
            thread.start()
        }
    }

    deinit { pool.shutdown() }

    /// Stops the threads once the queued jobs are done; later jobs fail with `CancellationError`.
    public func shutdown() { pool.shutdown() }

    /// Jobs finished so far (for tests and metrics).
    public var completedJobs: Int { pool.completed.load(ordering: .relaxed) }

    /// Runs `body` on one of the pool's threads and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable (BlockingJob) throws -> T) async throws -> T {
        let job = BlockingJob()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let accepted = pool.submit {
                    guard !job.isCancelled else {
                        continuation.resume(throwing: CancellationError())
                        return
                    }
                    continuation.resume(with: Result { try body(job) })
                }
                if !accepted { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            job.cancel()
        }
    }

    /// The queue and the threads' loop.
    private final class Pool: Sendable {
        private struct State {
            /// A taken job's slot is emptied at once: a finished job's closure (and what it captured,
            /// e.g. a chunk of an upload) must not stay alive until the queue is compacted.
            var jobs: [(@Sendable () -> Void)?] = []
            var head = 0
            var stopped = false
        }

        private let state = Mutex(State())
        private let signal = NSCondition()
        let completed = Atomic<Int>(0)

        func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
            let accepted = state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.jobs.append(job)
                return true
            }
            if accepted {
                signal.lock()
                signal.signal()
                signal.unlock()
            }
            return accepted
        }

        func shutdown() {
            state.withLock { $0.stopped = true }
            signal.lock()
            signal.broadcast()
            signal.unlock()
        }

        func work() {
            while true {
                signal.lock()
                var next: (@Sendable () -> Void)?
                while true {
                    let (job, stopped) = state.withLock { state -> ((@Sendable () -> Void)?, Bool) in
                        guard state.head < state.jobs.count else { return (nil, state.stopped) }
                        let job = state.jobs[state.head]
                        state.jobs[state.head] = nil
                        state.head += 1
                        // Drop finished entries once they dominate, so the queue does not grow forever.
                        if state.head > 64 && state.head * 2 > state.jobs.count {
                            state.jobs.removeFirst(state.head)
                            state.head = 0
                        }
                        return (job, false)
                    }
                    if let job {
                        next = job
                        break
                    }
                    if stopped {
                        signal.unlock()
                        return
                    }
                    signal.wait()
                }
                signal.unlock()
                next?()
                next = nil  // released before the job counts as completed
                completed.add(1, ordering: .relaxed)
            }
        }
    }
}

/// What a running job knows about itself: whether the task that is waiting for it was cancelled.
/// Long jobs check it between steps (a chunk, a packet) and stop early.
public final class BlockingJob: Sendable {
    private let cancelled = Atomic<Bool>(false)

    init() {}

    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Throws `CancellationError` if the waiting task was cancelled.
    public func checkCancellation() throws {
        if isCancelled { throw CancellationError() }
    }

    func cancel() { cancelled.store(true, ordering: .relaxed) }
}
