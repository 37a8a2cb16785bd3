import CutlineBlocking
import Foundation
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct BlockingExecutorTests {
    @Test func jobsRunOnThePoolsOwnThreads() async throws {
        let executor = BlockingExecutor(name: "exec-test", threadCount: 2)
        defer { executor.shutdown() }
        let names = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await executor.run { _ in Thread.current.name ?? "" } } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(names.isSubset(of: ["exec-test-0", "exec-test-1"]) && !names.isEmpty, "\(names)")
        // A job counts as completed just after its caller resumes (the worker thread lets go of it first).
        for _ in 0..<5000 where executor.completedJobs < 20 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(executor.completedJobs == 20)
    }

    @Test func neverMoreJobsAtOnceThanThreads() async throws {
        let executor = BlockingExecutor(name: "exec-bound", threadCount: 3)
        defer { executor.shutdown() }
        let counts = Counts()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<30 {
                group.addTask {
                    try await executor.run { _ in
                        counts.begin()
                        Thread.sleep(forTimeInterval: 0.01)
                        counts.end()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(counts.peak == 3)
    }

    /// Jobs queued behind a busy pool and then cancelled never run; a running one sees the cancel.
    @Test func cancelledJobsDoNotRunAndARunningJobSeesTheCancel() async throws {
        let executor = BlockingExecutor(name: "exec-cancel", threadCount: 1)
        defer { executor.shutdown() }
        let ran = Counts()
        let started = DispatchSemaphore(value: 0)
        let blocker = Task {
            try await executor.run { job in
                started.signal()
                while !job.isCancelled { Thread.sleep(forTimeInterval: 0.005) }
                try job.checkCancellation()
            }
        }
        await Task.detached { started.wait() }.value
        let queued = (0..<5).map { _ in Task { try await executor.run { _ in ran.begin() } } }
        for task in queued { task.cancel() }
        blocker.cancel()
        await #expect(throws: CancellationError.self) { try await blocker.value }
        for task in queued { await #expect(throws: CancellationError.self) { try await task.value } }
        #expect(ran.started == 0)
    }

    /// A finished job keeps nothing alive: what its closure captured (a chunk of an upload, say) is
    /// freed when the job ends, not when the queue is next compacted.
    @Test func aFinishedJobReleasesWhatItCaptured() async throws {
        let executor = BlockingExecutor(name: "release", threadCount: 1)
        defer { executor.shutdown() }
        final class Chunk: Sendable {}
        weak var last: Chunk?
        for _ in 0..<10 {
            let chunk = Chunk()
            last = chunk
            try await executor.run { _ in _ = chunk }
        }
        // The worker thread lets go of a job just after the caller resumes: wait until it counts it.
        while executor.completedJobs < 10 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(last == nil, "a finished job still holds its closure")
    }
}

final class Counts: Sendable {
    private struct State { var running = 0, peak = 0, started = 0 }
    private let state = Mutex(State())

    func begin() {
        state.withLock {
            $0.running += 1
            $0.started += 1
            $0.peak = max($0.peak, $0.running)
        }
    }

    func end() { state.withLock { $0.running -= 1 } }
    var peak: Int { state.withLock { $0.peak } }
    var started: Int { state.withLock { $0.started } }

}
