import CutlineCore
import Foundation
import Testing

/// A seed for the property tests: `CUTLINE_TEST_SEED` replays a failure, otherwise a fresh one is printed.
private let propertySeed: UInt64 = {
    if let text = ProcessInfo.processInfo.environment["CUTLINE_TEST_SEED"], let seed = UInt64(text) {
        return seed
    }
    return UInt64.random(in: 0...UInt64.max)
}()

private let frameRates: [FrameRate] = [
    FrameRate(24), FrameRate(25), FrameRate(30), FrameRate(60),
    FrameRate(numerator: 30000, denominator: 1001), FrameRate(numerator: 24000, denominator: 1001),
]

/// Checks every invariant a plan promises, whatever the mode.
private func checkInvariants(_ plan: SegmentPlan, _ context: String) {
    let frame = 1 / plan.frameRate.framesPerSecond
    #expect(plan.count >= 1, "\(context)")
    #expect(plan.count <= SegmentPlan.defaultMaxSegments, "\(context)")
    #expect(plan.segments.first?.start == 0, "\(context)")
    #expect(plan.segments.last?.end == plan.duration, "\(context)")
    for (i, segment) in plan.segments.enumerated() {
        #expect(segment.index == i, "\(context)")
        #expect(segment.end > segment.start, "\(context) segment \(i)")
        // Each start is exactly a frame time.
        #expect(segment.start == plan.frameRate.time(ofFrame: segment.startFrame), "\(context) segment \(i)")
        if i > 0 {
            #expect(segment.start == plan.segments[i - 1].end, "gap or overlap: \(context) segment \(i)")
        }
    }
    _ = frame
}

@Suite("Segment planning")
struct SegmentPlanTests {
    @Test func fixedLengthCutsEqualClips() throws {
        let plan = try SegmentPlan.plan(duration: 60, frameRate: FrameRate(25), mode: .fixed(seconds: 10))
        #expect(plan.segments.map(\.start) == [0, 10, 20, 30, 40, 50])
        #expect(plan.segments.allSatisfy { abs($0.duration - 10) < 1e-9 })
    }

    @Test func shortTailMergesIntoPreviousClip() throws {
        let plan = try SegmentPlan.plan(duration: 61, frameRate: FrameRate(25), mode: .fixed(seconds: 10))
        #expect(plan.count == 6)
        #expect(plan.segments.last?.start == 50)
        #expect(plan.segments.last?.end == 61)
    }

    @Test func tailOfHalfALengthIsItsOwnClip() throws {
        let plan = try SegmentPlan.plan(duration: 65, frameRate: FrameRate(25), mode: .fixed(seconds: 10))
        #expect(plan.count == 7)
        #expect(plan.segments.last?.duration == 5)
    }

    @Test func boundariesSnapToFrameTimesWithoutDrift() throws {
        // 10 s at 29.97 fps is 299.7 frames: boundary k is the frame nearest k·10 s, never k·300 frames.
        let rate = FrameRate(numerator: 30000, denominator: 1001)
        let plan = try SegmentPlan.plan(duration: 3600, frameRate: rate, mode: .fixed(seconds: 10))
        for segment in plan.segments {
            #expect(abs(segment.start - Double(segment.index) * 10) <= 0.5 / rate.framesPerSecond + 1e-9)
        }
    }

    @Test func sameSeedGivesSamePlan() throws {
        let a = try SegmentPlan.plan(duration: 300, frameRate: FrameRate(30), mode: .random(min: 3, max: 9, seed: 42))
        let b = try SegmentPlan.plan(duration: 300, frameRate: FrameRate(30), mode: .random(min: 3, max: 9, seed: 42))
        let c = try SegmentPlan.plan(duration: 300, frameRate: FrameRate(30), mode: .random(min: 3, max: 9, seed: 43))
        #expect(a == b)
        #expect(a != c)
    }

    @Test func randomSeedGivesAKnownPlan() throws {
        // Pins SplitMix64 and the drawing rule: a change here changes every user's saved preview.
        let plan = try SegmentPlan.plan(duration: 30, frameRate: FrameRate(25), mode: .random(min: 2, max: 5, seed: 1))
        #expect(plan.segments.map(\.startFrame) == [0, 59, 136, 200, 301, 384, 466, 537, 644])
    }

    @Test func shortVideoGivesOneClip() throws {
        let plan = try SegmentPlan.plan(duration: 14, frameRate: FrameRate(25), mode: .fixed(seconds: 10))
        #expect(plan.count == 1)
        #expect(plan.segments[0].end == 14)
    }

    @Test(arguments: [
        (CuttingMode.fixed(seconds: 0), SegmentPlanError.Code.lengthNotPositive),
        (.fixed(seconds: -5), .lengthNotPositive),
        (.fixed(seconds: .nan), .lengthNotPositive),
        (.fixed(seconds: 0.5), .lengthTooShort),
        (.fixed(seconds: 121), .lengthLongerThanVideo),
        (.random(min: 8, max: 4, seed: 0), .minAboveMax),
        (.random(min: 0.2, max: 4, seed: 0), .lengthTooShort),
        (.random(min: 2, max: -1, seed: 0), .lengthNotPositive),
        (.random(min: 200, max: 300, seed: 0), .lengthLongerThanVideo),
    ])
    func rejectsInvalidParameters(mode: CuttingMode, code: SegmentPlanError.Code) {
        #expect {
            try SegmentPlan.plan(duration: 120, frameRate: FrameRate(25), mode: mode)
        } throws: { error in
            guard let error = error as? SegmentPlanError else { return false }
            return error.code == code && !error.description.isEmpty
        }
    }

    @Test func rejectsInvalidDurationAndFrameRate() {
        #expect(throws: SegmentPlanError.self) { try SegmentPlan.plan(duration: 0, frameRate: FrameRate(25), mode: .fixed(seconds: 1)) }
        #expect(throws: SegmentPlanError.self) { try SegmentPlan.plan(duration: .infinity, frameRate: FrameRate(25), mode: .fixed(seconds: 1)) }
        #expect(throws: SegmentPlanError.self) {
            try SegmentPlan.plan(duration: 10, frameRate: FrameRate(numerator: 0, denominator: 1), mode: .fixed(seconds: 1))
        }
    }

    @Test func enforcesMaximumSegmentCount() throws {
        #expect {
            try SegmentPlan.plan(duration: 3600, frameRate: FrameRate(25), mode: .fixed(seconds: 1))
        } throws: { ($0 as? SegmentPlanError)?.code == .tooManySegments }
        // Exactly the maximum is allowed.
        let plan = try SegmentPlan.plan(duration: 500, frameRate: FrameRate(25), mode: .fixed(seconds: 1))
        #expect(plan.count == 500)
    }

    @Test func fixedPlansKeepTheirPromisesForRandomInputs() throws {
        print("SegmentPlanTests seed: \(propertySeed) (replay with CUTLINE_TEST_SEED=\(propertySeed))")
        var rng = SplitMix64(seed: propertySeed)
        for _ in 0..<2000 {
            let rate = frameRates[Int(rng.next(upperBound: UInt64(frameRates.count)))]
            let duration = Double.random(in: 1...3000, using: &rng)
            let length = Double.random(in: 1...min(60, duration), using: &rng)
            let context = "seed \(propertySeed) duration \(duration) rate \(rate) fixed \(length)"
            let plan: SegmentPlan
            do {
                plan = try SegmentPlan.plan(duration: duration, frameRate: rate, mode: .fixed(seconds: length))
            } catch {
                #expect(error.code == .tooManySegments && duration / length > 499, "\(context): \(error)")
                continue
            }
            checkInvariants(plan, context)
            let frame = 1 / rate.framesPerSecond
            for segment in plan.segments.dropLast() {
                #expect(abs(segment.duration - length) <= frame + 1e-9, "\(context) segment \(segment.index)")
            }
            // The last clip holds the tail: at least half a length (unless it is the only clip), under 1.5.
            let last = plan.segments[plan.count - 1]
            if plan.count > 1 {
                #expect(last.duration >= length / 2 - frame - 1e-9, "\(context)")
            }
            #expect(last.duration < length * 1.5 + frame + 1e-9, "\(context)")
        }
    }

    @Test func randomPlansKeepTheirPromisesForRandomInputs() throws {
        print("SegmentPlanTests seed: \(propertySeed) (replay with CUTLINE_TEST_SEED=\(propertySeed))")
        var rng = SplitMix64(seed: propertySeed ^ 0x5eed)
        for _ in 0..<2000 {
            let rate = frameRates[Int(rng.next(upperBound: UInt64(frameRates.count)))]
            let duration = Double.random(in: 2...3000, using: &rng)
            let low = Double.random(in: 1...min(30, duration), using: &rng)
            let high = low + Double.random(in: 0...30, using: &rng)
            let seed = rng.next()
            let context = "seed \(propertySeed) duration \(duration) rate \(rate) random \(low)...\(high) seed \(seed)"
            let plan: SegmentPlan
            do {
                plan = try SegmentPlan.plan(duration: duration, frameRate: rate, mode: .random(min: low, max: high, seed: seed))
            } catch {
                #expect(error.code == .tooManySegments && duration / low > 499, "\(context): \(error)")
                continue
            }
            checkInvariants(plan, context)
            let frame = 1 / rate.framesPerSecond
            for segment in plan.segments.dropLast() {
                #expect(segment.duration >= low - 1e-9, "\(context) segment \(segment.index)")
                #expect(segment.duration <= max(high, low + frame) + 1e-9, "\(context) segment \(segment.index)")
            }
            let last = plan.segments[plan.count - 1]
            if plan.count > 1 {
                #expect(last.duration >= low - 1e-9, "\(context)")
            }
            #expect(last.duration < max(high, low + frame) + low + 1e-9, "\(context)")
        }
    }
}
