import CutlineCore
import CutlineMediaEngine
import Foundation
import Testing

/// Renders a plan of `source` into a fresh directory; returns the clips and the directory.
func renderClips(
    _ source: String, mode: CuttingMode, texts: ((Int) -> String)? = nil, style: OverlayStyle = OverlayStyle(),
    in dir: TemporaryDirectory
) throws -> (plan: SegmentPlan, clips: [RenderedClip]) {
    let info = try MediaProbe.probe(source)
    let plan = try SegmentPlan.plan(duration: info.duration, frameRate: info.video.frameRate, mode: mode)
    let request = RenderRequest(
        source: source, plan: plan, texts: (0..<plan.count).map { texts?($0) ?? "" }, style: style, outputDirectory: dir.path
    )
    return (plan, try Renderer.renderBlocking(request))
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

@Suite("Render")
struct RenderTests {
    @Test func cutsBigBuckBunnyIntoPlannedClipsWithAudio() throws {
        let dir = try TemporaryDirectory()
        let (plan, clips) = try renderClips(try Fixtures.bigBuckBunny, mode: .fixed(seconds: 2), in: dir)
        #expect(plan.count == 3)
        try checkClips(plan, clips, expectAudio: true, width: 1280, height: 720)
    }
}
