import CutlineCore
import Testing

/// How the Gateway splits a job into tasks for several processors.
struct TaskRangeTests {
    func ranges(_ plan: SegmentPlan, _ seconds: Double) -> [Range<Int>] { plan.taskRanges(seconds: seconds) }

    /// The tasks cover every clip once, in order, none empty.
    func expectCoverEveryClipOnce(_ ranges: [Range<Int>], _ plan: SegmentPlan, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(ranges.first?.lowerBound == 0, sourceLocation: sourceLocation)
        #expect(ranges.last?.upperBound == plan.count, sourceLocation: sourceLocation)
        #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }, sourceLocation: sourceLocation)
        #expect(ranges.allSatisfy { !$0.isEmpty }, sourceLocation: sourceLocation)
    }

    func seconds(_ plan: SegmentPlan, _ range: Range<Int>) -> Double { plan.segments[range].reduce(0) { $0 + $1.duration } }

    @Test func aTwoMinuteJobOfTenSecondClipsIsTwoTasksOfAMinute() throws {
        let plan = try SegmentPlan.plan(duration: 120, frameRate: FrameRate(25), mode: .fixed(seconds: 10))
        #expect(ranges(plan, 60) == [0..<6, 6..<12])
        #expect(ranges(plan, 30) == [0..<3, 3..<6, 6..<9, 9..<12])
    }

    @Test func aJobShorterThanATaskIsOneTask() throws {
        let plan = try SegmentPlan.plan(duration: 25, frameRate: FrameRate(25), mode: .fixed(seconds: 5))
        #expect(ranges(plan, 60) == [0..<5])
    }

    @Test func neverMoreTasksThanClips() throws {
        let plan = try SegmentPlan.plan(duration: 120, frameRate: FrameRate(25), mode: .fixed(seconds: 40))
        let split = ranges(plan, 1)
        #expect(split == [0..<1, 1..<2, 2..<3])
    }

    @Test(arguments: [UInt64(1), 7, 42, 1234])
    func randomLengthsSplitIntoTasksOfNearlyEqualVideo(seed: UInt64) throws {
        let plan = try SegmentPlan.plan(duration: 600, frameRate: FrameRate(30), mode: .random(min: 5, max: 25, seed: seed))
        let split = ranges(plan, 120)
        expectCoverEveryClipOnce(split, plan)
        #expect(split.count == 5)
        for range in split {
            // Each ends at the clip boundary nearest its share, so it is off by at most one clip's length.
            #expect(abs(seconds(plan, range) - 120) <= 25 + 1e-6, "task \(range) holds \(seconds(plan, range)) s")
        }
    }

    @Test func frameShareOfATaskFollowsItsVideo() throws {
        let plan = try SegmentPlan.plan(duration: 120, frameRate: FrameRate(25), mode: .fixed(seconds: 10))
        #expect(plan.frames(of: 0..<6, framesTotal: 3000) == 1500)
        #expect(plan.frames(of: 6..<12, framesTotal: 3000) == 1500)
        #expect(plan.frames(of: 0..<0, framesTotal: 3000) == 0)
    }
}
