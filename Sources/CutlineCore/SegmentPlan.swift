/// How a video is cut into clips. The Gateway's preview and the MediaProcessor's render call the same
/// `SegmentPlan.plan(duration:frameRate:mode:)`, so the previewed count is the rendered count.
public enum CuttingMode: Sendable, Hashable, Codable {
    /// Every clip `seconds` long; the tail rule below applies to the last one.
    case fixed(seconds: Double)
    /// Clip lengths drawn uniformly from `[min, max]` seconds by a generator seeded with `seed`.
    case random(min: Double, max: Double, seed: UInt64)
}

/// A frame rate as a fraction (`30000/1001`), so frame times are exact and boundaries never drift.
public struct FrameRate: Sendable, Hashable, Codable, CustomStringConvertible {
    public let numerator: Int
    public let denominator: Int

    public init(numerator: Int, denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }

    public init(_ framesPerSecond: Int) {
        self.init(numerator: framesPerSecond, denominator: 1)
    }

    public var framesPerSecond: Double { Double(numerator) / Double(denominator) }
    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }

    /// The time of frame `index`, in seconds.
    public func time(ofFrame index: Int) -> Double {
        Double(index) * Double(denominator) / Double(numerator)
    }
}

/// One clip of a plan: `[start, end)` in seconds from the start of the source.
public struct Segment: Sendable, Hashable, Codable {
    public let index: Int
    public let start: Double
    public let end: Double
    /// The first frame of the clip, counted from the start of the source at the nominal frame rate.
    public let startFrame: Int

    public var duration: Double { end - start }

    public init(index: Int, start: Double, end: Double, startFrame: Int) {
        self.index = index
        self.start = start
        self.end = end
        self.startFrame = startFrame
    }
}

/// Why a plan cannot be made; `description` is the sentence shown to the user.
public struct SegmentPlanError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        case invalidDuration, invalidFrameRate, lengthNotPositive, lengthTooShort, minAboveMax
        case lengthLongerThanVideo, tooManySegments, clipTooLongForPlatform
    }

    public let code: Code
    public let description: String

    static func make(_ code: Code, _ message: String) -> SegmentPlanError {
        SegmentPlanError(code: code, description: message)
    }
}

/// The exact list of clips for a source and a cutting mode.
///
/// Rules (the Gateway shows them to users, so they are part of the contract):
/// - Segments cover `[0, duration)` with no gap and no overlap. Every inner boundary is a frame time
///   `k / frameRate` (the nearest one to the ideal cut), so a clip never starts between two frames; the
///   last segment ends at `duration` itself.
/// - `fixed(L)`: boundary `k` is the frame nearest `k·L`, so rounding never accumulates over many clips.
/// - `random(min, max, seed)`: each length is a whole number of frames drawn uniformly between the
///   shortest frame count ≥ `min` and the longest ≤ `max`, by SplitMix64 seeded with `seed`. The same
///   inputs give the same plan on every machine (no platform random source is used).
/// - Tail merge: if what is left after the last full clip is shorter than the minimum tail — `L/2` for
///   `fixed(L)`, `min` for `random` — it is not a clip of its own: the previous clip is extended to the end
///   of the video. So with `fixed(10)` a 61 s video gives six clips, the last 11 s long; a 66 s video gives
///   seven, the last 6 s long. A video shorter than one length after merging still gives one clip.
/// - Lengths under `minimumLength` (1 s), `min > max`, a length longer than the video and more than
///   `maxSegments` (default 500) clips are errors.
public struct SegmentPlan: Sendable, Hashable, Codable {
    public static let minimumLength: Double = 1
    public static let defaultMaxSegments = 500

    public let duration: Double
    public let frameRate: FrameRate
    public let mode: CuttingMode
    public let segments: [Segment]

    public var count: Int { segments.count }

    /// Refuses a plan with a clip longer than `platform` takes (the tail merge can make the last clip
    /// up to half a length longer than asked, so a length near the limit may not do).
    public func checkLongestClip(for platform: Platform) throws(SegmentPlanError) {
        guard let long = segments.first(where: { $0.duration > platform.longestClip + 1e-6 }) else { return }
        throw .make(
            .clipTooLongForPlatform,
            "clip \(long.index + 1) would be \(Self.minutes(long.duration)) long, and \(platform.name) takes clips of at most \(Self.minutes(platform.longestClip)): choose shorter clips"
        )
    }

    private static func minutes(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return whole < 60 ? "\(whole) s" : whole % 60 == 0 ? "\(whole / 60) min" : "\(whole / 60) min \(whole % 60) s"
    }

    /// Plans the clips of a `duration`-second video at `frameRate`; throws a `SegmentPlanError` whose
    /// description says what to change.
    public static func plan(
        duration: Double,
        frameRate: FrameRate,
        mode: CuttingMode,
        maxSegments: Int = defaultMaxSegments
    ) throws(SegmentPlanError) -> SegmentPlan {
        guard duration.isFinite, duration > 0 else {
            throw .make(.invalidDuration, "the video's duration must be a positive number of seconds, not \(duration)")
        }
        guard frameRate.numerator > 0, frameRate.denominator > 0 else {
            throw .make(.invalidFrameRate, "the video's frame rate must be positive, not \(frameRate)")
        }
        // The status version counts clips in three digits (StatusVersion.maximumClips).
        let maxSegments = min(maxSegments, Int(StatusVersion.maximumClips))
        let fps = frameRate.framesPerSecond
        // The video's length in frames, possibly fractional (the last frame may be shorter).
        let totalFrames = duration * fps

        // Each mode reduces to "the next boundary after frame f", in frames.
        let next: (Int) -> Int
        let minimumTailFrames: Double
        switch mode {
        case .fixed(let seconds):
            try validate(length: seconds, name: "clip length", duration: duration)
            var index = 0
            next = { _ in
                index += 1
                return Int((Double(index) * seconds * fps).rounded())
            }
            minimumTailFrames = seconds / 2 * fps
        case .random(let low, let high, let seed):
            try validate(length: low, name: "shortest clip length", duration: duration)
            guard high.isFinite, high > 0 else {
                throw .make(.lengthNotPositive, "the longest clip length must be a positive number of seconds, not \(high)")
            }
            guard low <= high else {
                throw .make(.minAboveMax, "the shortest clip length (\(low) s) is longer than the longest (\(high) s)")
            }
            // Whole frames inside [low, high]; if the range is narrower than one frame, the frame nearest low.
            let lowFrames = Int((low * fps - 1e-9).rounded(.up))
            let highFrames = max(lowFrames, Int((high * fps + 1e-9).rounded(.down)))
            var generator = SplitMix64(seed: seed)
            next = { frame in frame + lowFrames + Int(generator.next(upperBound: UInt64(highFrames - lowFrames + 1))) }
            minimumTailFrames = low * fps
        }

        var starts: [Int] = [0]
        while true {
            let previous = starts[starts.count - 1]
            // Below one frame per clip length (a frame rate under 1 fps) rounding could repeat a boundary.
            let boundary = max(previous + 1, next(previous))
            // Stop when the rest is the tail: shorter than the minimum, it merges into the current clip.
            if Double(boundary) >= totalFrames || totalFrames - Double(boundary) < minimumTailFrames - 1e-9 {
                break
            }
            starts.append(boundary)
            if starts.count > maxSegments {
                throw .make(
                    .tooManySegments,
                    "these settings would make more than \(maxSegments) clips; choose longer clips"
                )
            }
        }

        var segments: [Segment] = []
        segments.reserveCapacity(starts.count)
        for (index, startFrame) in starts.enumerated() {
            let end = index + 1 < starts.count ? frameRate.time(ofFrame: starts[index + 1]) : duration
            segments.append(Segment(index: index, start: frameRate.time(ofFrame: startFrame), end: end, startFrame: startFrame))
        }
        return SegmentPlan(duration: duration, frameRate: frameRate, mode: mode, segments: segments)
    }

    private static func validate(length: Double, name: String, duration: Double) throws(SegmentPlanError) {
        guard length.isFinite, length > 0 else {
            throw .make(.lengthNotPositive, "the \(name) must be a positive number of seconds, not \(length)")
        }
        guard length >= minimumLength else {
            throw .make(.lengthTooShort, "the \(name) must be at least \(Int(minimumLength)) s, not \(length) s")
        }
        guard length <= duration else {
            throw .make(
                .lengthLongerThanVideo,
                "the \(name) (\(length) s) is longer than the video (\(duration) s)"
            )
        }
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and the same sequence everywhere for a seed, which
/// `random(min, max, seed)` promises.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<upperBound` without modulo bias (Lemire's method would be faster; this is not hot).
    public mutating func next(upperBound: UInt64) -> UInt64 {
        precondition(upperBound > 0)
        let limit = UInt64.max - UInt64.max % upperBound
        while true {
            let value = next()
            if value < limit { return value % upperBound }
        }
    }
}
