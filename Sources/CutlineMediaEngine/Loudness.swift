internal import CFFmpeg
import CutlineCore
import Foundation

/// What each clip's sound is brought to (EBU R128): an integrated loudness and a true-peak ceiling.
public struct LoudnessTarget: Sendable, Hashable, Codable {
    /// LUFS, integrated over the clip.
    public var integrated: Double
    /// dBTP, the highest true peak allowed.
    public var truePeak: Double

    /// What TikTok, Reels and Shorts play at: −14 LUFS, true peak at most −1 dBTP.
    public static let platform = LoudnessTarget(integrated: -14, truePeak: -1)
    public static let integratedRange = -40.0...(-5.0)
    public static let truePeakRange = -9.0...0.0

    public init(integrated: Double, truePeak: Double) {
        self.integrated = integrated
        self.truePeak = truePeak
    }

    /// `platform`, `off` (nil) or `LUFS[,TRUE_PEAK]` (true peak −1 when left out), as a person writes it;
    /// the error says what is accepted.
    public static func parse(_ text: String) throws(LoudnessTargetError) -> LoudnessTarget? {
        switch text.lowercased() {
        case "platform": return .platform
        case "off": return nil
        default:
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard (1...2).contains(parts.count), let integrated = parts[0], let truePeak = parts.count == 2 ? parts[1] : -1,
                integratedRange.contains(integrated), truePeakRange.contains(truePeak)
            else {
                throw LoudnessTargetError(
                    "loudness \"\(text)\" is not platform, off or LUFS[,TRUE_PEAK] with LUFS from -40 to -5 and the true peak from -9 to 0 dBTP (e.g. -16,-1.5)"
                )
            }
            return LoudnessTarget(integrated: integrated, truePeak: truePeak)
        }
    }
}

/// A loudness setting that is not one.
public struct LoudnessTargetError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }
}

/// A clip's sound as measured: its integrated loudness (nil when it is silent: nothing above EBU R128's
/// −70 LUFS gate) and its true peak.
public struct Loudness: Sendable, Hashable, Codable {
    public var integrated: Double?
    public var truePeak: Double?

    /// The gain that brings this to `target`; none for silence, which stays silent.
    func gain(to target: LoudnessTarget) -> Double? {
        integrated.map { target.integrated - $0 }
    }
}

/// The first pass: each clip's sound decoded and measured with libavfilter's `ebur128` (true peak on),
/// as the clips will carry it (stereo at the clips' rate), before any clip is written.
enum LoudnessMeter {
    /// The gain per clip that brings `segments[range]` to `target`: measured, then, for the clips whose
    /// peaks the limiter will hold down (which takes some loudness with them), measured again through
    /// the gain and the limiter and corrected, at most twice. Absent: silent clips, which stay silent.
    static func gains(
        _ request: RenderRequest, to target: LoudnessTarget, segments: [Segment], range: Range<Int>, audioRate: Int32,
        interrupt: MediaInterrupt
    ) throws(MediaError) -> [Int: Double] {
        guard let measured = try measure(request, segments: segments, range: range, audioRate: audioRate, interrupt: interrupt) else {
            return [:]
        }
        var gains = measured.compactMapValues { $0.gain(to: target) }
        for _ in 0..<2 {
            let limited = gains.filter { index, gain in (measured[index]?.truePeak ?? -200) + gain > target.truePeak - AudioLeveler.headroom }
            guard !limited.isEmpty,
                let leveled = try measure(
                    request, segments: segments, range: range, audioRate: audioRate, interrupt: interrupt,
                    leveling: limited.mapValues { ($0, target.truePeak) })
            else { break }
            var corrected = false
            for (index, gain) in limited {
                guard let level = leveled[index]?.integrated, abs(target.integrated - level) > 0.2 else { continue }
                gains[index] = gain + target.integrated - level
                corrected = true
            }
            if !corrected { break }
        }
        return gains
    }

    /// The loudness of `segments[range]` of `request.source`, by index (through its gain and limiter for a
    /// clip in `leveling`); nil when the source has no sound.
    static func measure(
        _ request: RenderRequest, segments: [Segment], range: Range<Int>, audioRate: Int32, interrupt: MediaInterrupt,
        leveling: [Int: (gain: Double, ceiling: Double)] = [:]
    ) throws(MediaError) -> [Int: Loudness]? {
        let demuxer = try Demuxer(path: request.source, limits: request.limits, interrupt: interrupt)
        let info = try MediaProbe.describe(demuxer)
        guard info.audio != nil, let stream = demuxer.bestStream(AVMEDIA_TYPE_AUDIO) else { return nil }
        let decoder = try Decoder(demuxer: demuxer, streamIndex: stream)
        demuxer.keepOnly([stream])
        let timeBase = decoder.timeBase
        let origin = av_rescale_q(Int64((info.startTime * 1_000_000).rounded()), cutline_av_time_base_q(), timeBase)
        let seconds = { (pts: Int64) in Double(pts - origin) * Double(timeBase.num) / Double(timeBase.den) }
        if range.lowerBound > 0 { try demuxer.seek(toSeconds: max(0, segments[range.lowerBound].start - 1)) }
        // Past this, nothing is this render's (a task that ends before the plan does).
        let stop = segments[range.upperBound - 1].end + 0.5
        var meter: (index: Int, graph: LoudnessGraph)?
        var results: [Int: Loudness] = [:]
        let packet = try Packet()
        let frame = try Frame()

        func take() throws(MediaError) {
            while try decoder.receive(into: frame) == .ready {
                defer { frame.unref() }
                let pts = frame.bestEffortTimestamp
                guard pts != cutline_av_nopts_value() else { continue }
                // A frame counts for the clip its first sample falls in; the last clip takes what runs on.
                let time = seconds(pts)
                guard let index = segments.lastIndex(where: { $0.start <= time + 1e-6 }) ?? segments.indices.first,
                    range.contains(index), index == segments.count - 1 || time < segments[index].end
                else { continue }
                if let current = meter, current.index != index {
                    results[current.index] = try current.graph.finish()
                    meter = nil
                }
                if meter == nil { meter = (index, try LoudnessGraph(decoder: decoder, clipRate: audioRate, leveling: leveling[index])) }
                frame.pts = av_rescale_q(pts - origin, timeBase, AVRational(num: 1, den: decoder.sampleRate))
                try meter!.graph.add(frame)
            }
        }
        while true {
            if let reason = interrupt.reason { throw interrupt.error(reason, path: request.source) }
            let result = try demuxer.read(into: packet)
            if result == .endOfStream { break }
            if result == .needsInput { continue }
            defer { packet.unref() }
            guard packet.streamIndex == stream else { continue }
            let pts = packet.pointer.pointee.pts
            if pts != cutline_av_nopts_value(), seconds(pts) > stop { break }
            while try decoder.send(packet) == .needsInput { try take() }
            try take()
        }
        _ = try decoder.send(nil)
        try take()
        if let current = meter { results[current.index] = try current.graph.finish() }
        for index in range where results[index] == nil { results[index] = Loudness(integrated: nil, truePeak: nil) }
        return results
    }
}

/// One clip's `abuffer → aformat (stereo, the clips' rate) [→ volume → alimiter] → ebur128 → abuffersink`;
/// the last frame out carries the clip's integrated loudness and true peak in its metadata.
private final class LoudnessGraph {
    let graph: FilterGraph
    let source: FilterGraph.Node
    let sink: FilterGraph.Node
    let out: Frame
    var integrated: Double?
    var truePeak: Double?

    init(decoder: Decoder, clipRate: Int32, leveling: (gain: Double, ceiling: Double)?) throws(MediaError) {
        let sourceRate = decoder.sampleRate
        let graph = try FilterGraph(purpose: "loudness")
        self.graph = graph
        source = try graph.add(
            "abuffer",
            optionList: [
                ("time_base", "1/\(sourceRate)"), ("sample_rate", "\(sourceRate)"),
                ("sample_fmt", av_get_sample_fmt_name(decoder.sampleFormat).map { String(cString: $0) } ?? "fltp"),
                ("channel_layout", decoder.channelLayoutDescription),
            ])
        let format = try graph.add("aformat", optionList: [("sample_fmts", "fltp"), ("sample_rates", "\(clipRate)"), ("channel_layouts", "stereo")])
        var leveler: [FilterGraph.Node] = []
        if let leveling { leveler = try AudioLeveler.stages(in: graph, gain: leveling.gain, ceiling: leveling.ceiling) }
        let meter = try graph.add("ebur128", optionList: [("peak", "true"), ("metadata", "1")])
        sink = try graph.add("abuffersink")
        try graph.chain([source, format] + leveler + [meter, sink])
        try graph.configure()
        out = try Frame()
    }

    func add(_ frame: Frame) throws(MediaError) {
        try graph.push(frame, to: source)
        try drain()
    }

    func finish() throws(MediaError) -> Loudness {
        try graph.push(nil, to: source)
        try drain()
        // Below the −70 LUFS absolute gate nothing counts: silence.
        let loud = integrated.flatMap { $0 > -69.9 ? $0 : nil }
        return Loudness(integrated: loud, truePeak: truePeak.map { $0 > 0 ? 20 * log10($0) : -200 })
    }

    private func drain() throws(MediaError) {
        while try graph.pull(from: sink, into: out) == .ready {
            defer { out.unref() }
            if let value = out.metadata("lavfi.r128.I").flatMap(Double.init) { integrated = value }
            if let value = out.metadata("lavfi.r128.true_peak").flatMap(Double.init) { truePeak = value }
        }
    }
}

/// A clip's sound brought to its target: `volume` by the measured gain, then `alimiter` (no auto level,
/// latency compensated so no sample moves or goes missing) holding sample peaks `headroom` under the
/// true-peak ceiling. Frames come out in the encoder's frame size.
final class AudioLeveler {
    private let graph: FilterGraph
    private let source: FilterGraph.Node
    private let sink: FilterGraph.Node

    /// Sample peaks are held this far under the true-peak ceiling: room for the peaks between samples
    /// and the AAC encoder's overshoot.
    static let headroom = 1.5

    init(gain: Double, ceiling: Double, sampleRate: Int32, frameSize: Int32) throws(MediaError) {
        graph = try FilterGraph(purpose: "loudness")
        source = try graph.add(
            "abuffer",
            optionList: [("time_base", "1/\(sampleRate)"), ("sample_rate", "\(sampleRate)"), ("sample_fmt", "fltp"), ("channel_layout", "stereo")])
        let stages = try Self.stages(in: graph, gain: gain, ceiling: ceiling)
        // alimiter works in doubles; the encoder takes planar float.
        let format = try graph.add(
            "aformat", optionList: [("sample_fmts", "fltp"), ("sample_rates", "\(sampleRate)"), ("channel_layouts", "stereo")])
        sink = try graph.add("abuffersink")
        try graph.chain([source] + stages + [format, sink])
        try graph.configure()
        graph.setFrameSize(of: sink, samples: frameSize)
    }

    /// `volume` by `gain` dB, then `alimiter` at `headroom` under `ceiling`: the same in the render and in
    /// the pass that measures what it will give.
    static func stages(in graph: FilterGraph, gain: Double, ceiling: Double) throws(MediaError) -> [FilterGraph.Node] {
        let volume = try graph.add("volume", optionList: [("volume", String(format: "%.3fdB", gain)), ("precision", "float")])
        let limit = pow(10, (ceiling - headroom) / 20)
        let limiter = try graph.add(
            "alimiter",
            optionList: [("limit", String(format: "%.6f", max(0.0625, min(1, limit)))), ("level", "false"), ("latency", "true")])
        return [volume, limiter]
    }

    /// Gives a frame (nil: the clip's sound has ended) and hands each frame ready to `take`.
    func level(_ frame: Frame?, into out: Frame, take: (Frame) throws(MediaError) -> Void) throws(MediaError) {
        try graph.push(frame, to: source)
        while try graph.pull(from: sink, into: out) == .ready {
            defer { out.unref() }
            try take(out)
        }
    }
}
