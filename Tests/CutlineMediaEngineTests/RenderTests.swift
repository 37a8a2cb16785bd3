import CutlineCore
import CutlineMediaEngine
import Foundation
import Testing

/// Renders a plan of `source` into a fresh directory; returns the clips and the directory. The render
/// runs on a thread of its own (as in the service), never on the test runner's cooperative pool.
func renderClips(
    _ source: String, mode: CuttingMode, texts: ((Int) -> String)? = nil, style: OverlayStyle = OverlayStyle(),
    encoding: EncodingSettings = EncodingSettings(), in dir: TemporaryDirectory,
    configure: (inout RenderRequest) -> Void = { _ in }
) async throws -> (plan: SegmentPlan, clips: [RenderedClip]) {
    let info = try MediaProbe.probe(source)
    let plan = try SegmentPlan.plan(duration: info.duration, frameRate: info.video.frameRate, mode: mode)
    var request = RenderRequest(
        source: source, plan: plan, texts: (0..<plan.count).map { texts?($0) ?? "" }, style: style, encoding: encoding,
        outputDirectory: dir.path
    )
    configure(&request)
    let configured = request
    return (plan, try await RenderTurns.shared.run { try await Renderer.render(configured) })
}

/// Checks with ffprobe what every clip of a render must satisfy.
func checkClips(_ plan: SegmentPlan, _ clips: [RenderedClip], expectAudio: Bool, width: Int? = nil, height: Int? = nil) throws {
    #expect(clips.count == plan.count)
    let frame = 1 / plan.frameRate.framesPerSecond
    for (clip, segment) in zip(clips, plan.segments) {
        #expect(clip.index == segment.index)
        let probe = try FFProbe(clip.path)
        let video = try #require(probe.video, "clip \(clip.index) has no video")
        #expect(video.codec == "h264")
        if let width, let height {
            #expect(video.width == width && video.height == height, "clip \(clip.index)")
        }
        let videoDuration = try #require(video.duration)
        #expect(abs(videoDuration - segment.duration) <= frame + 1e-3, "clip \(clip.index): video \(videoDuration) s, planned \(segment.duration) s")
        if expectAudio {
            let audio = try #require(probe.audio, "clip \(clip.index) has no audio")
            #expect(audio.codec == "aac")
            let audioEnd = (audio.startTime ?? 0) + (audio.duration ?? 0)
            let videoEnd = (video.startTime ?? 0) + videoDuration
            #expect(abs(audioEnd - videoEnd) <= 0.050, "clip \(clip.index): audio ends \(audioEnd), video \(videoEnd)")
        } else {
            #expect(probe.audio == nil, "clip \(clip.index) has audio")
        }
        let frames = try FFProbe.frames(clip.path)
        #expect(frames.first?.key == true, "clip \(clip.index) does not start with a keyframe")
    }
}

/// ffmpeg's PSNR between the first frames of two videos (higher is more alike; identical is "inf").
func firstFramePSNR(_ a: String, _ b: String) throws -> Double {
    try psnr(["-i", a, "-i", b, "-frames:v", "1", "-lavfi", "[0:v][1:v]psnr"])
}

/// Runs ffmpeg with a `psnr` filter graph (`arguments` give the inputs and the graph) and reads the
/// average it reports.
func psnr(_ arguments: [String]) throws -> Double {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["ffmpeg", "-hide_banner"] + arguments + ["-f", "null", "-"]
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let data = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard let range = text.range(of: "average:") else { throw ToolFailure(description: "no PSNR in: \(text.suffix(500))") }
    let value = text[range.upperBound...].prefix { !$0.isWhitespace }
    return value == "inf" ? .infinity : Double(value) ?? 0
}

@Suite("Render", .timeLimit(.minutes(10)))
struct RenderTests {
    init() {
        FFmpegLog.setLevel(.error)
    }

    @Test func cutsBigBuckBunnyIntoPlannedClipsWithAudio() async throws {
        let dir = try TemporaryDirectory()
        let (plan, clips) = try await renderClips(try Fixtures.bigBuckBunny, mode: .fixed(seconds: 2), in: dir)
        #expect(plan.count == 3)
        try checkClips(plan, clips, expectAudio: true, width: 1280, height: 720)
    }

    @Test func finishingClipsConcurrentlyGivesTheSameClips() async throws {
        let dir = try TemporaryDirectory()
        let (plan, clips) = try await renderClips(
            try Fixtures.bigBuckBunny, mode: .fixed(seconds: 2), texts: { "clip \($0)" },
            encoding: EncodingSettings(finishClipsConcurrently: true), in: dir
        )
        try checkClips(plan, clips, expectAudio: true, width: 1280, height: 720)
    }

    @Test func silentSourceGivesClipsWithoutAudio() async throws {
        let dir = try TemporaryDirectory()
        let (plan, clips) = try await renderClips(try Fixtures.bikes, mode: .fixed(seconds: 3), in: dir)
        #expect(plan.count == 3)
        try checkClips(plan, clips, expectAudio: false, width: 640, height: 272)
    }

    @Test func randomCutsMatchThePlan() async throws {
        let dir = try TemporaryDirectory()
        let (plan, clips) = try await renderClips(try Fixtures.bikes, mode: .random(min: 1.5, max: 4, seed: 7), in: dir)
        #expect(plan.count >= 3)
        try checkClips(plan, clips, expectAudio: false)
    }

    @Test func rotatedPhoneVideoComesOutUpright() async throws {
        let dir = try TemporaryDirectory()
        let rotated = dir.file("phone.mp4")
        try ffmpeg(["-i", try Fixtures.bikes, "-t", "2", "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated])
        // The ffmpeg CLI applies the display matrix itself (autorotate): the reference picture.
        let reference = dir.file("reference.mp4")
        try ffmpeg(["-i", rotated, "-frames:v", "1", "-c:v", "libx264", "-crf", "10", reference])
        let out = try TemporaryDirectory()
        let (plan, clips) = try await renderClips(rotated, mode: .fixed(seconds: 1), in: out)
        try checkClips(plan, clips, expectAudio: false, width: 272, height: 640)
        #expect(try FFProbe(clips[0].path).video?.sideDataRotation == nil, "clip still carries a display matrix")
        // A wrong turn (or none) gives a picture unlike the reference: PSNR far below 30 dB.
        #expect(try firstFramePSNR(clips[0].path, reference) > 30)
    }

    @Test func oddSizeIsCroppedToEvenForYUV420() async throws {
        let dir = try TemporaryDirectory()
        let odd = dir.file("odd.mp4")
        try ffmpeg(["-i", try Fixtures.bikes, "-t", "2", "-vf", "scale=321:241", "-c:v", "libx264", "-pix_fmt", "yuv444p", odd])
        let (plan, clips) = try await renderClips(odd, mode: .fixed(seconds: 1), texts: { "odd \($0)" }, in: dir)
        try checkClips(plan, clips, expectAudio: false, width: 320, height: 240)
    }

    /// 12 s with a keyframe every 2 s (so a render starting mid-file decodes from before its clip), cut
    /// into four 3 s clips, and those clips rendered whole: what a resumed render or a task is held to.
    func keyframedSourceAndWholeRender(
        in dir: TemporaryDirectory
    ) async throws -> (source: String, plan: SegmentPlan, texts: [String], whole: [RenderedClip]) {
        let source = dir.file("keyframes.mp4")
        try ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=24", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "12", "-c:v", "libx264", "-g", "48", "-keyint_min", "48", "-sc_threshold", "0", "-c:a", "aac", "-shortest", source,
        ])
        let info = try MediaProbe.probe(source)
        let plan = try SegmentPlan.plan(duration: info.duration, frameRate: info.video.frameRate, mode: .fixed(seconds: 3))
        let texts = (0..<plan.count).map { "clip \($0 + 1)" }
        let whole = try dir.subdirectory("whole")
        let all = try await RenderTurns.shared.run {
            try await Renderer.render(RenderRequest(source: source, plan: plan, texts: texts, outputDirectory: whole))
        }
        return (source, plan, texts, all)
    }

    @Test func resumingAtALaterSegmentWritesTheClipsAWholeRenderWrites() async throws {
        let dir = try TemporaryDirectory()
        let (source, plan, texts, all) = try await keyframedSourceAndWholeRender(in: dir)
        var resumedRequest = RenderRequest(source: source, plan: plan, texts: texts, outputDirectory: try dir.subdirectory("resumed"))
        resumedRequest.firstSegment = 2
        let progress = ProgressLog()
        let request = resumedRequest
        let resumed = try await RenderTurns.shared.run {
            try await Renderer.render(request, progress: { progress.append($0) })
        }
        #expect(plan.count == 4 && resumed.map(\.index) == [2, 3])
        for clip in resumed {
            let reference = all[clip.index]
            // The same frames into a fresh encoder (x264 with threads is not bit-exact from run to run, so
            // compare pictures: two whole renders measure ~48 dB here, a clip one frame off ~22 dB).
            #expect(clip.frames == reference.frames)
            let similarity = try psnr(["-i", clip.path, "-i", reference.path, "-lavfi", "[0:v][1:v]psnr"])
            #expect(similarity > 40, "clip \(clip.index): \(similarity) dB from the whole render's")
            let (audio, referenceAudio) = (try #require(try FFProbe(clip.path).audio), try #require(try FFProbe(reference.path).audio))
            #expect(abs((audio.duration ?? 0) - (referenceAudio.duration ?? 0)) <= 0.025)
        }
        // Progress counts the skipped clips' frames as done.
        #expect((progress.values.first?.framesDone ?? 0) >= Int(plan.segments[2].start * 24) - 1)
    }

    /// One task of a job split over processors: segments 1 and 2 of 4 only. Its clips are the whole
    /// render's, and it needs nothing of the source past its last clip (a source cut there still renders it).
    @Test func aTaskRendersItsSegmentsAsTheWholeRenderDoesAndStopsAtItsEnd() async throws {
        let dir = try TemporaryDirectory()
        let (source, plan, texts, all) = try await keyframedSourceAndWholeRender(in: dir)
        // The source cut a second after the task's last clip: what a task must not need.
        let cut = dir.file("cut.mp4")
        try ffmpeg(["-i", source, "-t", String(plan.segments[2].end + 1), "-c", "copy", cut])
        var taskRequest = RenderRequest(source: cut, plan: plan, texts: texts, outputDirectory: try dir.subdirectory("task"))
        taskRequest.firstSegment = 1
        taskRequest.endSegment = 3
        let request = taskRequest
        let task = try await RenderTurns.shared.run { try await Renderer.render(request) }
        #expect(plan.count == 4 && task.map(\.index) == [1, 2])
        for clip in task {
            let reference = all[clip.index]
            #expect(clip.frames == reference.frames, "clip \(clip.index)")
            let similarity = try psnr(["-i", clip.path, "-i", reference.path, "-lavfi", "[0:v][1:v]psnr"])
            #expect(similarity > 40, "clip \(clip.index): \(similarity) dB from the whole render's")
            let (audio, referenceAudio) = (try #require(try FFProbe(clip.path).audio), try #require(try FFProbe(reference.path).audio))
            #expect(abs((audio.duration ?? 0) - (referenceAudio.duration ?? 0)) <= 0.025, "clip \(clip.index)")
        }
        // The whole plan on the cut source is refused as cut short: the task's success is its bound.
        let wholeOnCut = RenderRequest(source: cut, plan: plan, texts: texts, outputDirectory: try dir.subdirectory("whole-cut"))
        await #expect(throws: MediaError.self) { _ = try await RenderTurns.shared.run { try await Renderer.render(wholeOnCut) } }
        // A task that would end before it begins is refused.
        var empty = RenderRequest(source: source, plan: plan, texts: texts, outputDirectory: try dir.subdirectory("empty"))
        empty.firstSegment = 2
        empty.endSegment = 2
        let refused = empty
        await #expect(throws: MediaError.self) { _ = try await Renderer.render(refused) }
    }

    @Test func resumingAtASegmentThePlanDoesNotHaveIsRefused() async throws {
        let dir = try TemporaryDirectory()
        let info = try MediaProbe.probe(try Fixtures.bikes)
        let plan = try SegmentPlan.plan(duration: info.duration, frameRate: info.video.frameRate, mode: .fixed(seconds: 3))
        var request = RenderRequest(source: try Fixtures.bikes, plan: plan, texts: Array(repeating: "", count: plan.count), outputDirectory: dir.path)
        request.firstSegment = plan.count
        await #expect(throws: MediaError.self) { try await Renderer.render(request) }
    }

    @Test func variableFrameRateSourceKeepsThePlan() async throws {
        let dir = try TemporaryDirectory()
        let vfr = dir.file("vfr.mp4")
        // Keeps every frame in the first 2 s, then one frame in three: timestamps with uneven gaps.
        try ffmpeg(["-i", try Fixtures.bikes, "-t", "4", "-vf", "select='lt(t,2)+not(mod(n,3))'", "-vsync", "vfr", "-c:v", "libx264", vfr])
        let info = try MediaProbe.probe(vfr)
        let (plan, clips) = try await renderClips(vfr, mode: .fixed(seconds: 1), in: dir)
        #expect(info.video.frameRate.framesPerSecond < 24, "the source is not variable-frame-rate")
        #expect(clips.count == plan.count)
        for (clip, segment) in zip(clips, plan.segments) {
            #expect(try FFProbe.frames(clip.path).first?.key == true)
            // Frames are up to three nominal frames apart here, so a clip can end that far from the plan.
            let duration = try #require(try FFProbe(clip.path).video?.duration)
            #expect(abs(duration - segment.duration) <= 3.5 / info.video.frameRate.framesPerSecond, "clip \(clip.index)")
        }
    }

    @Test func recordingWithFarFromZeroTimestampsStartsClipsAtZero() async throws {
        let dir = try TemporaryDirectory()
        let ts = dir.file("recording.ts")
        try ffmpeg([
            "-i", try Fixtures.bikes, "-i", try Fixtures.bigBuckBunny, "-map", "0:v", "-map", "1:a", "-t", "4",
            "-c:v", "copy", "-c:a", "aac", "-output_ts_offset", "3600", "-f", "mpegts", ts,
        ])
        let (plan, clips) = try await renderClips(ts, mode: .fixed(seconds: 1.5), in: dir)
        try checkClips(plan, clips, expectAudio: true)
        for clip in clips {
            #expect(abs(try FFProbe(clip.path).video?.startTime ?? -1) < 0.001)
        }
    }

    @Test(arguments: [
        ("hevc.mp4", ["-c:v", "libx265", "-x265-params", "log-level=error"]),
        ("vp9.webm", ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"]),
        ("mpeg4.avi", ["-c:v", "mpeg4", "-q:v", "5"]),
    ])
    func decodesOtherSourceCodecs(name: String, codec: [String]) async throws {
        let dir = try TemporaryDirectory()
        let source = dir.file(name)
        try ffmpeg(["-i", try Fixtures.bikes, "-t", "2", "-vf", "scale=320:136"] + codec + [source])
        let (plan, clips) = try await renderClips(source, mode: .fixed(seconds: 1), texts: { "clip \($0)" }, in: dir)
        #expect(plan.count == 2)
        try checkClips(plan, clips, expectAudio: false, width: 320, height: 136)
    }

    @Test func truncatedRecordingRendersWhatIsThere() async throws {
        let dir = try TemporaryDirectory()
        let whole = dir.file("whole.ts")
        try ffmpeg(["-i", try Fixtures.bikes, "-t", "4", "-c", "copy", "-f", "mpegts", whole])
        let data = try Data(contentsOf: URL(fileURLWithPath: whole))
        let cut = dir.file("cut.ts")
        try data.prefix(data.count * 6 / 10).write(to: URL(fileURLWithPath: cut))
        let (plan, clips) = try await renderClips(cut, mode: .fixed(seconds: 1), in: dir)
        #expect(clips.count >= 1 && clips.count <= plan.count)
        #expect(clips.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })
    }

    @Test func notMediaFailsWithTypedError() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("fake.mp4")
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        let plan = try SegmentPlan.plan(duration: 10, frameRate: FrameRate(25), mode: .fixed(seconds: 5))
        let request = RenderRequest(source: path, plan: plan, texts: ["", ""], outputDirectory: dir.path)
        await #expect {
            try await RenderTurns.shared.run { try await Renderer.render(request) }
        } throws: { ($0 as? MediaError)?.code == .notMedia }
    }

    @Test func reportsProgressAndEachClipAsItFinishes() async throws {
        let dir = try TemporaryDirectory()
        let source = try Fixtures.bikes
        let info = try MediaProbe.probe(source)
        let plan = try SegmentPlan.plan(duration: info.duration, frameRate: info.video.frameRate, mode: .fixed(seconds: 2.5))
        let recorder = CallbackRecorder()
        let request = RenderRequest(source: source, plan: plan, texts: Array(repeating: "", count: plan.count), outputDirectory: dir.path)
        let clips = try await RenderTurns.shared.run {
            try await Renderer.render(
                request,
                progress: { recorder.progress.append($0) },
                clipFinished: { clip in
                    // The file is complete when announced: the service uploads it right away.
                    recorder.finished.append((clip.index, (try? FFProbe(clip.path).video?.duration) ?? nil))
                }
            )
        }
        #expect(recorder.finished.map(\.0) == Array(0..<plan.count))
        #expect(recorder.finished.allSatisfy { $0.1 != nil })
        #expect(clips.map(\.index) == Array(0..<plan.count))
        let done = recorder.progress.map(\.framesDone)
        #expect(done == done.sorted())
        let frames = try #require(try FFProbe(source).video?.frameCount)
        #expect(recorder.progress.last?.framesDone == frames)
        #expect(recorder.progress.last?.framesTotal == frames)
        #expect(recorder.progress.last?.clipsDone == plan.count)
    }

    @Test func cancellingStopsAndLeavesNoPartialClip() async throws {
        let dir = try TemporaryDirectory()
        let source = try Fixtures.bikes
        let plan = try SegmentPlan.plan(duration: 10, frameRate: FrameRate(25), mode: .fixed(seconds: 2))
        let cancellation = MediaInterrupt()
        let output = dir.path
        // The blocking API with a cancellation token, run off the pool.
        await #expect {
            try await RenderTurns.shared.run {
                try await onOwnThread {
                    try Renderer.renderBlocking(
                        RenderRequest(source: source, plan: plan, texts: Array(repeating: "", count: plan.count), outputDirectory: output),
                        interrupt: cancellation,
                        // 3 s in: clip 2 (2…4 s) is half written and has its thumbnail (from 2.5 s).
                        progress: { if $0.framesDone >= 75 { cancellation.cancel() } }
                    )
                }
            }
        } throws: { ($0 as? MediaError)?.code == .cancelled }
        // The finished clip and its thumbnail stay; nothing of the unfinished one does.
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(files == ["clip-001.jpg", "clip-001.mp4"])
    }

    @Test func cancellingTheTaskCancelsTheRender() async throws {
        let dir = try TemporaryDirectory()
        let source = try Fixtures.bikes
        let plan = try SegmentPlan.plan(duration: 10, frameRate: FrameRate(25), mode: .fixed(seconds: 1))
        let request = RenderRequest(source: source, plan: plan, texts: Array(repeating: "", count: plan.count), outputDirectory: dir.path)
        // Cancelled while a clip is half written (its .part file is on disk), however slow the machine.
        let (started, announce) = AsyncStream<Void>.makeStream()
        let output = dir.path
        let task = Task {
            try await RenderTurns.shared.run {
                try await Renderer.render(
                    request,
                    progress: { _ in
                        let files = (try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []
                        if files.contains(where: { $0.hasSuffix(".part") }) { announce.yield() }
                    })
            }
        }
        for await _ in started { break }
        task.cancel()
        await #expect {
            try await task.value
        } throws: { ($0 as? MediaError)?.code == .cancelled }
        // The half-written clip is gone; what remains are whole clips.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(left.allSatisfy { !$0.hasSuffix(".part") }, "\(left)")
        for file in left { #expect(try FFProbe(dir.file(file)).video != nil, "\(file) is not a whole clip") }
    }
}

private final class CallbackRecorder: @unchecked Sendable {
    var progress: [RenderProgress] = []
    var finished: [(Int, Double?)] = []
}

final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var log: [RenderProgress] = []
    func append(_ value: RenderProgress) { lock.withLock { log.append(value) } }
    var values: [RenderProgress] { lock.withLock { log } }
}
