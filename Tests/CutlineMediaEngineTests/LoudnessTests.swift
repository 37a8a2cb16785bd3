import CutlineCore
import Foundation
import Testing

@testable import CutlineMediaEngine

/// EBU R128 of a file's sound, read by the ffmpeg CLI's `ebur128=peak=true`: integrated LUFS (−70 for
/// silence) and true peak in dBTP.
func measuredLoudness(_ path: String, in dir: TemporaryDirectory) throws -> (integrated: Double, truePeak: Double) {
    let log = dir.file(URL(fileURLWithPath: path).lastPathComponent + ".r128")
    try ffmpeg(["-i", path, "-vn", "-af", "ebur128=peak=true:metadata=1,ametadata=mode=print:file=\(log)", "-f", "null", "-"])
    let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
    func last(_ key: String) -> Double? { lines.last { $0.hasPrefix(key + "=") }.flatMap { Double($0.dropFirst(key.count + 1)) } }
    let peak = last("lavfi.r128.true_peak") ?? 0
    return (last("lavfi.r128.I") ?? -70, peak > 0 ? 20 * log10(peak) : -200)
}

@Suite("Loudness", .serialized)
struct LoudnessTests {
    /// 8 s of picture with pink noise mastered at `lufs`, or silence. A loud master is limited, as loud
    /// masters are (an AAC stream clips at full scale): the gain before the limiter is found by measuring
    /// the encoded file and correcting, a few times.
    func source(_ name: String, lufs: Double?, clicks: Bool = false, in dir: TemporaryDirectory) throws -> String {
        let path = dir.file("\(name).mp4")
        let picture = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=24"]
        let encode = ["-t", "8", "-c:v", "libx264", "-c:a", "aac", "-b:a", "192k", "-shortest", path]
        guard let lufs else {
            try ffmpeg(picture + ["-f", "lavfi", "-i", "anullsrc=sample_rate=48000:channel_layout=stereo"] + encode)
            return path
        }
        let noise = ["-f", "lavfi", "-i", "anoisesrc=color=pink:sample_rate=48000:duration=8:amplitude=0.2:seed=7"]
        // Clicks: a 0.2 ms spike at about −4 dBFS every second, far above the noise, so the gain that brings
        // the noise to the target pushes them over the ceiling: the limiter must hold them down.
        let click = ["-f", "lavfi", "-i", "aevalsrc=if(lt(mod(t\\,1)\\,0.0002)\\,0.9\\,0):s=48000:d=8"]
        var gain = 0.0
        for _ in 0..<4 {
            let leveled = String(format: "aformat=channel_layouts=stereo,volume=%.2fdB,alimiter=limit=0.9:level=false", gain)
            let filter = clicks ? "[1:a]\(leveled)[n];[2:a]aformat=channel_layouts=stereo[c];[n][c]amix=inputs=2:normalize=0" : leveled
            try ffmpeg(picture + noise + (clicks ? click : []) + [clicks ? "-filter_complex" : "-af", filter] + encode)
            let level = try measuredLoudness(path, in: dir).integrated
            if abs(level - lufs) < 0.3 { break }
            gain += lufs - level
        }
        return path
    }

    func render(_ source: String, loudness: LoudnessTarget?, in dir: TemporaryDirectory, name: String) async throws -> [RenderedClip] {
        let info = try MediaProbe.probe(source)
        let plan = try SegmentPlan.plan(duration: info.duration, frameRate: info.video.frameRate, mode: .fixed(seconds: 2))
        var request = RenderRequest(
            source: source, plan: plan, texts: Array(repeating: "", count: plan.count), outputDirectory: try dir.subdirectory(name))
        request.loudness = loudness
        let ready = request
        return try await RenderTurns.shared.run { try await Renderer.render(ready) }
    }

    @Test(arguments: [(-30.0, false), (-6.0, false), (-30.0, true)])
    func everyClipIsBroughtToThePlatformsLoudnessWithItsPeaksUnderTheCeiling(mastered: Double, clicks: Bool) async throws {
        let dir = try TemporaryDirectory()
        let source = try source("mastered", lufs: mastered, clicks: clicks, in: dir)
        if clicks { #expect(try measuredLoudness(source, in: dir).truePeak > -6, "the clicks are the source's peaks") }
        let (level, _) = try measuredLoudness(source, in: dir)
        #expect(abs(level - mastered) <= 1, "the source measures \(level) LUFS")
        let clips = try await render(source, loudness: .platform, in: dir, name: "clips")
        #expect(clips.count == 4)
        for clip in clips {
            let (integrated, truePeak) = try measuredLoudness(clip.path, in: dir)
            #expect(abs(integrated - -14) <= 1, "clip \(clip.index): \(integrated) LUFS")
            #expect(truePeak <= -0.8, "clip \(clip.index): true peak \(truePeak) dBTP")
            let probe = try FFProbe(clip.path)
            #expect(abs((probe.audio?.duration ?? 0) - clip.duration) <= 0.05, "the limiter keeps every sample: \(probe.audio?.duration ?? 0) s")
        }
        // Without a target the clips keep the source's level.
        let kept = try await render(source, loudness: nil, in: dir, name: "kept")
        #expect(abs(try measuredLoudness(kept[1].path, in: dir).integrated - mastered) <= 1.5)
    }

    @Test func silenceStaysSilent() async throws {
        let dir = try TemporaryDirectory()
        let clips = try await render(try source("silent", lufs: nil, in: dir), loudness: .platform, in: dir, name: "clips")
        #expect(clips.count == 4 && clips.allSatisfy(\.hasAudio))
        for clip in clips {
            let (integrated, truePeak) = try measuredLoudness(clip.path, in: dir)
            #expect(integrated <= -69 && truePeak < -90, "clip \(clip.index): \(integrated) LUFS, \(truePeak) dBTP")
        }
    }
}
