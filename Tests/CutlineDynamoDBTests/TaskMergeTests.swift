import CutlineCore
import CutlineOutbox
import Foundation
import Synchronization
import Testing

/// A job split into tasks: each processor writes only its task, and both status stores merge those writes
/// into the job's one record (docs/contracts.md, "One job over many processors").
@Suite(.serialized, .timeLimit(.minutes(3)))
struct TaskMergeTests {
    /// Eight tasks of three clips each, written by eight writers at once.
    static let tasks = (0..<8).map { $0 * 3..<$0 * 3 + 3 }
    static let clipsTotal = 24
    static let framesPerClip: Int64 = 100

    static func clip(_ job: JobID, _ index: Int) -> ClipRecord {
        ClipRecord(index: index, start: Double(index) * 4, duration: 4, text: "", key: "clips/\(job)/\(index).mp4", size: 1000 + Int64(index))
    }

    /// A task's write as a processor makes it: its own clips, its own frames, the job's frame total.
    static func write(
        _ job: JobID, task range: Range<Int>, _ state: JobState, clips: Int, permille: Int64 = 0, error: JobFailure? = nil, processor: String
    ) -> StatusWrite {
        let own = range.prefix(clips).map { clip(job, $0) }
        let frames = state == .completed ? Int64(range.count) * framesPerClip : Int64(clips) * framesPerClip + permille * framesPerClip / 1000
        return StatusWrite(
            jobID: job, state: state, clipsDone: Int64(clips), nextClipPermille: permille,
            progress: JobProgress(
                clipsDone: Int64(clips), clipsTotal: Int64(clipsTotal), framesDone: frames, framesTotal: Int64(clipsTotal) * framesPerClip),
            clips: own,
            error: error,
            task: TaskPart(
                firstClip: range.lowerBound, clipCount: range.count, taskCount: tasks.count, nextClipPermille: permille, processor: processor))
    }

    /// Every write one processor makes for its task, in order: started, half of each clip, each clip, completed.
    static func writes(_ job: JobID, task range: Range<Int>, processor: String) -> [StatusWrite] {
        var writes = [write(job, task: range, .processing, clips: 0, processor: processor)]
        for done in 0..<range.count {
            writes.append(write(job, task: range, .processing, clips: done, permille: 500, processor: processor))
            writes.append(write(job, task: range, .processing, clips: done + 1, processor: processor))
        }
        writes.append(write(job, task: range, .completed, clips: range.count, processor: processor))
        return writes
    }

    @Test(arguments: StoreKind.allCases)
    func tasksWrittenAtOnceMergeIntoOneRecordThatNeverGoesBack(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let store = fixture.store
        let job = JobID.make()
        #expect(try await store.apply(StatusWrite(jobID: job, state: .queued, params: #"{"every":4}"#, createdAt: Date())) == .applied)
        let done = Atomic<Bool>(false)
        // A reader polling throughout, as the Gateway does: what it sees never goes back.
        let reader = Task {
            var seen: [JobStatusRecord] = []
            while !done.load(ordering: .acquiring) {
                if let record = try await store.status(of: job) { seen.append(record) }
            }
            return seen
        }
        let outcomes = try await withThrowingTaskGroup(of: [SinkOutcome].self) { group in
            for (number, range) in Self.tasks.enumerated() {
                group.addTask {
                    var outcomes: [SinkOutcome] = []
                    let writes = Self.writes(job, task: range, processor: "media-\(number)")
                    for (index, write) in writes.enumerated() {
                        outcomes.append(try await store.apply(write))
                        // At least once: every write is delivered again, and an old one comes late.
                        #expect(try await store.apply(write) == .stale, "a duplicate of write \(index) of task \(number) was applied")
                        if index > 1 { #expect(try await store.apply(writes[index - 2]) == .stale, "a late write of task \(number) was applied") }
                    }
                    return outcomes
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        done.store(true, ordering: .releasing)
        let seen = try await reader.value
        #expect(outcomes.allSatisfy { $0 == .applied }, "every first delivery of a task's write changes the record")

        let record = try #require(try await store.status(of: job))
        #expect(record.state == .completed)
        #expect(record.version == StatusVersion(attempt: 1, state: .completed).value)
        #expect(record.clips == (0..<Self.clipsTotal).map { Self.clip(job, $0) }, "every clip once, in order")
        let frames = Int64(Self.clipsTotal) * Self.framesPerClip
        #expect(record.progress == JobProgress(clipsDone: 24, clipsTotal: 24, framesDone: frames, framesTotal: frames))
        #expect(record.tasks.map(\.processor) == (0..<8).map { "media-\($0)" })
        #expect(record.tasks.allSatisfy { $0.state == .completed && $0.clipsDone == 3 })
        #expect(record.params == #"{"every":4}"#, "the Gateway's fields are kept")

        #expect(seen.count > 3, "the reader saw the job while it merged")
        for (before, after) in zip(seen, seen.dropFirst()) {
            #expect(after.version >= before.version, "the record went back from \(before.version) to \(after.version)")
            #expect(Set(before.clips.map(\.index)).isSubset(of: Set(after.clips.map(\.index))), "a clip was lost")
            #expect((after.progress?.framesDone ?? 0) >= (before.progress?.framesDone ?? 0), "frame progress went back")
        }
        for record in seen where record.state == .completed {
            #expect(record.tasks.count == 8 && record.tasks.allSatisfy { $0.state == .completed }, "COMPLETED before the last task ended")
        }
        #expect(seen.allSatisfy { Set($0.clips.map(\.index)).count == $0.clips.count }, "a clip appeared twice")
    }

    @Test(arguments: StoreKind.allCases)
    func oneFailedTaskFailsTheJobAndTheOthersWritesAreStale(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let store = fixture.store
        let job = JobID.make()
        #expect(try await store.apply(Self.write(job, task: Self.tasks[0], .processing, clips: 2, processor: "a")) == .applied)
        #expect(try await store.apply(Self.write(job, task: Self.tasks[1], .completed, clips: 3, processor: "b")) == .applied)
        #expect(try await store.status(of: job)?.state == .processing, "one task of eight completed is not the job")
        let failure = JobFailure(code: "source_unreadable", message: "clip 7 could not be decoded")
        #expect(try await store.apply(Self.write(job, task: Self.tasks[2], .failed, clips: 0, error: failure, processor: "c")) == .applied)
        #expect(try await store.apply(Self.write(job, task: Self.tasks[0], .completed, clips: 3, processor: "a")) == .stale)
        let record = try #require(try await store.status(of: job))
        #expect(record.state == .failed && record.error == failure)
        #expect(record.clips.map(\.index) == [0, 1, 3, 4, 5], "the clips stored before the failure stay listed")
    }

    @Test(arguments: StoreKind.allCases)
    func aCancelledJobTakesNoMoreTaskWrites(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let store = fixture.store
        let job = JobID.make()
        #expect(try await store.apply(Self.write(job, task: Self.tasks[0], .processing, clips: 1, processor: "a")) == .applied)
        #expect(try await store.apply(StatusWrite(jobID: job, state: .cancelled)) == .applied)
        #expect(try await store.apply(Self.write(job, task: Self.tasks[0], .processing, clips: 2, processor: "a")) == .stale)
        #expect(try await store.apply(Self.write(job, task: Self.tasks[1], .completed, clips: 3, processor: "b")) == .stale)
        let record = try #require(try await store.status(of: job))
        #expect(record.state == .cancelled && record.clips.map(\.index) == [0])
    }

    /// A task is claimed by one copy of its message at a time: another copy is refused while the claim
    /// holds, the same message (received again after its processor died) takes it over, and an expired
    /// or given-up claim goes to whoever asks next.
    @Test(arguments: StoreKind.allCases)
    func aTaskIsClaimedByOneCopyOfItsMessageAtATime(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let store = fixture.store
        let job = JobID.make()
        #expect(try await store.apply(StatusWrite(jobID: job, state: .queued)) == .applied)
        let now = Date()
        let first = TaskClaim(processor: "media-a", messageID: "message-1", until: now.addingTimeInterval(60))
        #expect(try await store.claim(job, task: 4, first, now: now) == nil, "an unclaimed task is taken")
        let copy = TaskClaim(processor: "media-b", messageID: "message-2", until: now.addingTimeInterval(60))
        let refused = try await store.claim(job, task: 4, copy, now: now.addingTimeInterval(1))
        #expect(refused?.processor == "media-a" && refused?.messageID == "message-1", "\(String(describing: refused))")
        #expect(try await store.claim(job, task: 0, copy, now: now) == nil, "another task of the job is claimed apart")
        let takeover = TaskClaim(processor: "media-b", messageID: "message-1", until: now.addingTimeInterval(70))
        #expect(try await store.claim(job, task: 4, takeover, now: now.addingTimeInterval(2)) == nil, "the same message takes its claim over")
        #expect(try await store.claim(job, task: 4, first, now: now.addingTimeInterval(3)) == nil, "the same message again")
        #expect(try await store.claim(job, task: 4, copy, now: now.addingTimeInterval(61)) == nil, "an expired claim goes to the next")
        // Given up (until now): the next copy need not wait.
        let givenUp = TaskClaim(processor: "media-b", messageID: "message-2", until: now.addingTimeInterval(62))
        #expect(try await store.claim(job, task: 4, givenUp, now: now.addingTimeInterval(62)) == nil)
        let third = TaskClaim(processor: "media-c", messageID: "message-3", until: now.addingTimeInterval(200))
        #expect(try await store.claim(job, task: 4, third, now: now.addingTimeInterval(63)) == nil)
        // The claims do not disturb the status record.
        #expect(try await store.status(of: job)?.state == .queued)
    }
}
