public import Foundation

/// A job split over processors (docs/contracts.md, "One job over many processors"): tasks of consecutive
/// clips, each rendered by whichever processor takes it, whose writes are merged into the job's one record.
extension SegmentPlan {
    /// The plan's clips in consecutive runs of about `seconds` of video each (at least one clip per run,
    /// runs of near-equal length), so that tasks take about the same time to render.
    public func taskRanges(seconds: Double) -> [Range<Int>] {
        guard count > 0 else { return [] }
        let tasks = max(1, min(count, Int((duration / max(seconds, 1e-9)).rounded())))
        guard tasks > 1 else { return [0..<count] }
        // Each run ends at the clip boundary nearest its share of the video, and no run is empty.
        var ranges: [Range<Int>] = []
        var first = 0
        for task in 1..<tasks {
            let target = duration * Double(task) / Double(tasks)
            var end = first + 1
            while end < count - (tasks - task), abs(segments[end].start - target) > abs(segments[end + 1].start - target) {
                end += 1
            }
            ranges.append(first..<end)
            first = end
        }
        ranges.append(first..<count)
        return ranges
    }

    /// The frames of `range` (its share of `framesTotal`, the whole plan's frames).
    public func frames(of range: Range<Int>, framesTotal: Int64) -> Int64 {
        guard !range.isEmpty, duration > 0 else { return 0 }
        let seconds = segments[range.upperBound - 1].end - segments[range.lowerBound].start
        return Int64((seconds / duration * Double(framesTotal)).rounded())
    }
}

/// What a task's status write says about its task: which clips it renders, of how many tasks, and how
/// far into its next clip it is. A write carrying one is merged into the job's record, not applied whole.
public struct TaskPart: Codable, Sendable, Hashable {
    public var firstClip: Int
    public var clipCount: Int
    /// The tasks the job was split into: the job is COMPLETED when that many have completed.
    public var taskCount: Int
    /// How much of the task's next clip is rendered (0…999), for the merged version.
    public var nextClipPermille: Int64
    /// The processor rendering it (`CUTLINE_INSTANCE_NAME`, or host and process id).
    public var processor: String?

    public init(firstClip: Int, clipCount: Int, taskCount: Int, nextClipPermille: Int64 = 0, processor: String? = nil) {
        self.firstClip = firstClip
        self.clipCount = clipCount
        self.taskCount = taskCount
        self.nextClipPermille = nextClipPermille
        self.processor = processor
    }

    public var clips: Range<Int> { firstClip..<firstClip + clipCount }

    enum CodingKeys: String, CodingKey {
        case firstClip = "first_clip"
        case clipCount = "clip_count"
        case taskCount = "task_count"
        case nextClipPermille = "next_clip_permille"
        case processor
    }
}

/// One task as the job's record keeps it.
public struct TaskStatus: Codable, Sendable, Hashable {
    public var firstClip: Int
    public var clipCount: Int
    public var state: JobState
    /// The task's own version (its writes' `version`): a task's write older than the one kept is stale.
    public var version: Int64
    public var clipsDone: Int64
    /// Frames of the task's clips rendered.
    public var framesDone: Int64
    public var nextClipPermille: Int64
    public var processor: String?

    public init(
        firstClip: Int, clipCount: Int, state: JobState, version: Int64, clipsDone: Int64, framesDone: Int64, nextClipPermille: Int64,
        processor: String?
    ) {
        self.firstClip = firstClip
        self.clipCount = clipCount
        self.state = state
        self.version = version
        self.clipsDone = clipsDone
        self.framesDone = framesDone
        self.nextClipPermille = nextClipPermille
        self.processor = processor
    }

    enum CodingKeys: String, CodingKey {
        case firstClip = "first_clip"
        case clipCount = "clip_count"
        case state, version
        case clipsDone = "clips_done"
        case framesDone = "frames_done"
        case nextClipPermille = "next_clip_permille"
        case processor
    }
}

extension JobStatusRecord {
    /// The record after a task's write (one whose `task` is set), or nil when the write is stale: the job
    /// has ended (or moved to a later attempt), or the record already has this write of the task or a
    /// later one. The merge keeps every rule of the whole-record writes:
    /// - the clips are the union of the tasks' clips (each task's own snapshot replaces its range), so a
    ///   clip appears once and none is lost;
    /// - frame progress is the sum of the tasks' frames over the whole job's;
    /// - a task that FAILED fails the job (and a CANCELLED one cancels it); the job is COMPLETED by the
    ///   merge that finds all `taskCount` tasks completed, and by no other;
    /// - the version only rises: each merge is above the record it read, so it is also what a conditional
    ///   write checks to know that no other write came between its read and its write.
    public static func merge(_ write: StatusWrite, into record: JobStatusRecord?) -> JobStatusRecord? {
        guard let part = write.task else { return nil }
        var tasks: [TaskStatus] = []
        var clips: [ClipRecord] = []
        var floor: Int64 = 0
        if let record, record.attempt >= write.attempt {
            guard record.attempt == write.attempt, !record.state.isTerminal else { return nil }
            tasks = record.tasks
            clips = record.clips
            floor = record.version + 1
        }
        if let kept = tasks.first(where: { $0.firstClip == part.firstClip }), kept.version >= write.version { return nil }
        let range = part.clips
        let own = (write.clips ?? []).filter { range.contains($0.index) }.map(\.stored)
        tasks.removeAll { $0.firstClip == part.firstClip }
        tasks.append(
            TaskStatus(
                firstClip: part.firstClip, clipCount: part.clipCount, state: write.state, version: write.version, clipsDone: Int64(own.count),
                framesDone: write.progress?.framesDone ?? 0, nextClipPermille: part.nextClipPermille, processor: part.processor))
        tasks.sort { $0.firstClip < $1.firstClip }
        clips = (clips.filter { !range.contains($0.index) } + own).sorted { $0.index < $1.index }

        let state: JobState
        switch write.state {
        case .failed, .cancelled: state = write.state
        default: state = tasks.filter { $0.state == .completed }.count >= part.taskCount ? .completed : .processing
        }
        let version: Int64
        if state.isTerminal {
            version = StatusVersion(attempt: write.attempt, state: state).value
        } else {
            let permille = min(999, tasks.filter { $0.state == .processing }.reduce(0) { $0 + $1.nextClipPermille })
            let count = min(Int64(clips.count), StatusVersion.maximumClips)
            version = max(StatusVersion(attempt: write.attempt, state: .processing, clipsDone: count, nextClipPermille: permille).value, floor)
        }
        let total = write.progress?.clipsTotal ?? record?.progress?.clipsTotal ?? Int64(clips.count)
        return JobStatusRecord(
            jobID: write.jobID, version: version, state: state, attempt: write.attempt,
            progress: JobProgress(
                clipsDone: Int64(clips.count), clipsTotal: total, framesDone: tasks.reduce(0) { $0 + $1.framesDone },
                framesTotal: write.progress?.framesTotal ?? record?.progress?.framesTotal ?? 0),
            clips: clips, error: state == .failed ? write.error : record?.error, params: record?.params, createdAt: record?.createdAt,
            updatedAt: write.updatedAt, tasks: tasks)
    }
}

/// A processor's hold on one task of a job in the status store, so that a second copy of the task's
/// message (the outbox sends at least once) is not rendered while the first is. It names the message it
/// was taken with: the same message received again after its processor died takes the claim over, a
/// copy (another message) does not until the claim expires.
public struct TaskClaim: Sendable, Hashable {
    public var processor: String
    public var messageID: String
    public var until: Date

    public init(processor: String, messageID: String, until: Date) {
        self.processor = processor
        self.messageID = messageID
        self.until = until
    }
}
