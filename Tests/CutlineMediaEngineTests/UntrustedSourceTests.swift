import CutlineCore
import CutlineMediaEngine
import CutlineTestSupport
import Foundation
import Testing

/// An upload is a stranger's file: it is opened as exactly itself, read with bounds, and capped.
@Suite struct UntrustedSourceTests {
    /// Files that name other resources, each under a video's name: none may make the engine fetch.
    @Test func aPlaylistOrAnythingThatNamesOtherFilesIsRefusedBeforeItIsFetched() throws {
        let listener = try TestListener(.stall)
        defer { listener.stop() }
        let dir = try TemporaryDirectory()
        let media = "\(listener.url.absoluteString)/secret-internal.ts"
        let files = [
            "hls.mp4": "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n\(media)\n#EXT-X-ENDLIST\n",
            "concat.mp4": "ffconcat version 1.0\nfile '\(media)'\nduration 10\n",
            "dash.mp4":
                #"<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT10S"><Period><AdaptationSet mimeType="video/mp4"><Representation id="1" bandwidth="1000"><BaseURL>\#(media)</BaseURL></Representation></AdaptationSet></Period></MPD>"#,
        ]
        for (name, text) in files {
            let path = dir.file(name)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            #expect(throws: MediaError.self, "\(name)") { try MediaProbe.probe(path) }
        }
        do {
            _ = try MediaProbe.probe(dir.file("hls.mp4"))
        } catch {
            #expect(error.code == .unsupportedFormat && error.message.contains("hls"), "\(error)")
            #expect(error.jobFailure.code == "media_unsupported_format")
        }
        // An image, and an image-sequence pattern, are not video containers either.
        let frame = dir.file("frame-%03d.png")
        try ffmpeg(["-f", "lavfi", "-i", "color=red:s=64x64", "-frames:v", "1", "-update", "1", dir.file("frame-001.png")])
        try FileManager.default.copyItem(atPath: dir.file("frame-001.png"), toPath: frame)
        for path in [dir.file("frame-001.png"), frame] {
            #expect(throws: MediaError.self) { try MediaProbe.probe(path) }
            do { _ = try MediaProbe.probe(path) } catch { #expect(error.code == .unsupportedFormat, "\(path): \(error)") }
        }
        // The render opens its source the same way: a source replaced by a playlist fails there too.
        let plan = try SegmentPlan.plan(duration: 10, frameRate: FrameRate(25), mode: .fixed(seconds: 5))
        let output = try dir.subdirectory("clips")
        do {
            _ = try Renderer.renderBlocking(RenderRequest(source: dir.file("hls.mp4"), plan: plan, texts: ["", ""], outputDirectory: output))
            Issue.record("a playlist was rendered")
        } catch {
            #expect(error.code == .unsupportedFormat, "\(error)")
        }
        #expect(listener.connections == 0, "the engine fetched \(listener.requestLines)")
    }

    @Test func aSourceThatStallsEndsAtTheCallsDeadline() async throws {
        let listener = try TestListener(.stall)
        defer { listener.stop() }
        let url = "\(listener.url.absoluteString)/uploads/source"
        let outcome = try await finishing(within: .seconds(10)) {
            Result { () throws(MediaError) in try MediaProbe.probe(url, interrupt: MediaInterrupt(timeout: .seconds(1))) }
        }
        #expect(throws: MediaError.self) { try outcome.get() }
        if case .failure(let error) = outcome {
            #expect(error.code == .timedOut && error.message.contains("1.0 s"), "\(error)")
        }
        #expect(listener.connections == 1)
    }

    @Test func aReadThatWaitsPastTheReadTimeoutFails() async throws {
        let listener = try TestListener(.stall)
        defer { listener.stop() }
        let url = "\(listener.url.absoluteString)/uploads/source"
        var shortRead = SourceLimits()
        shortRead.readTimeout = .seconds(1)
        let limits = shortRead
        let outcome = try await finishing(within: .seconds(10)) {
            Result { () throws(MediaError) in try MediaProbe.probe(url, limits: limits) }
        }
        if case .failure(let error) = outcome {
            #expect(error.code == .timedOut && error.message.contains("sent nothing for 1.0 s"), "\(error)")
        } else {
            Issue.record("a stalled source was probed")
        }
    }

    /// The source server sends the answer's head and two thirds of the file, then nothing: the render
    /// decodes what came and then waits in a read, where only the interrupt can reach it.
    @Test func cancellingARenderWhileItsReadIsBlockedReturnsWithinTwoSeconds() async throws {
        let dir = try TemporaryDirectory()
        // The index first (faststart), so the render can start from the front of the file.
        let mp4 = dir.file("source.mp4")
        try ffmpeg(["-i", try Fixtures.bikes, "-c", "copy", "-movflags", "+faststart", mp4])
        let data = try Data(contentsOf: URL(fileURLWithPath: mp4))
        let head = "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: \(data.count)\r\n\r\n"
        let listener = try TestListener(.answerThenStall(Data(head.utf8) + data.prefix(data.count * 2 / 3)))
        defer { listener.stop() }

        let plan = try SegmentPlan.plan(duration: 10, frameRate: FrameRate(25), mode: .fixed(seconds: 2))
        var asked = RenderRequest(
            source: "\(listener.url.absoluteString)/source.mp4", plan: plan, texts: Array(repeating: "", count: plan.count),
            outputDirectory: try dir.subdirectory("clips"))
        asked.thumbnails = false
        // Long enough that only the interrupt can end the wait within the test's bound.
        asked.limits.readTimeout = .seconds(120)
        let request = asked
        let interrupt = MediaInterrupt()
        let progress = FrameWatch()
        let render = Task {
            try await onOwnThread {
                Result { () throws(MediaError) in
                    try Renderer.renderBlocking(request, interrupt: interrupt, progress: { progress.record($0.framesDone) })
                }
            }
        }
        // Wait until the frames that arrived are rendered and no more come: the render waits in a read.
        try await progress.untilStill(for: .seconds(1), within: .seconds(60))
        #expect(progress.frames > 0 && progress.frames < 250, "\(progress.frames) frames before the stall")
        let cancelled = ContinuousClock.now
        interrupt.cancel()
        let outcome = try await finishing(within: .seconds(10)) { try await render.value }
        let took = ContinuousClock.now - cancelled
        #expect(took < .seconds(2), "the render took \(took) to stop after the cancel")
        if case .failure(let error) = outcome {
            #expect(error.code == .cancelled, "\(error)")
        } else {
            Issue.record("the render finished from two thirds of its source")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: request.outputDirectory).filter { $0.hasSuffix(".mp4") }
        #expect(left.count <= 2, "partial clips left: \(left)")
    }

    @Test func anOversizedFrameIsRefusedBeforeItIsDecoded() throws {
        let dir = try TemporaryDirectory()
        let wide = dir.file("wide.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "color=black:s=8200x16", "-frames:v", "1", "-c:v", "libx264", "-preset", "ultrafast", wide])
        let many = dir.file("many-pixels.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "color=black:s=6200x6000", "-frames:v", "1", "-c:v", "libx264", "-preset", "ultrafast", many])
        // A decompression bomb: 256 Mpx of black in a file of under 1 MB, in a container (MPEG-TS) whose
        // header does not give the size, so only the decoder's own cap stops it.
        let bomb = dir.file("bomb.ts")
        try ffmpeg([
            "-f", "lavfi", "-i", "color=black:s=16000x16000", "-frames:v", "1", "-c:v", "libx264", "-preset", "ultrafast", "-f", "mpegts", bomb,
        ])
        for (path, said) in [(wide, "8200×16"), (many, "37.2 Mpx"), (bomb, "16000×16000")] {
            do {
                _ = try MediaProbe.probe(path)
                Issue.record("\(path) was accepted")
            } catch {
                #expect(error.code == .tooLarge && error.message.contains(said) && error.message.contains("36 Mpx"), "\(error)")
            }
        }
        // 8K still opens.
        let eightK = dir.file("8k.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "color=black:s=7680x4320", "-frames:v", "1", "-c:v", "libx264", "-preset", "ultrafast", eightK])
        #expect(try MediaProbe.probe(eightK).video.width == 7680)
    }

    @Test func theLengthAndStreamCapsAreTheCallers() throws {
        let bikes = try Fixtures.bikes
        let bunny = try Fixtures.bigBuckBunny
        var limits = SourceLimits()
        limits.maxDuration = 5
        do {
            _ = try MediaProbe.probe(bikes, limits: limits)
            Issue.record("a 10 s video passed a 5 s cap")
        } catch {
            #expect(error.code == .tooLarge && error.message.contains("10 s long") && error.message.contains("at most 5 s"), "\(error)")
        }
        limits = SourceLimits()
        limits.maxStreams = 1
        do {
            _ = try MediaProbe.probe(bunny, limits: limits)
            Issue.record("two streams passed a cap of one")
        } catch {
            #expect(error.code == .tooLarge && error.message.contains("2 streams"), "\(error)")
        }
        #expect(try MediaProbe.probe(bunny).duration > 5)
    }
}

/// Waits for `body` on its own thread, but no longer than `bound`: a call that never returns fails the
/// test rather than hanging it.
private func finishing<T: Sendable>(within bound: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: bound)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TimedOut(description: "did not return within \(bound)")
        }
        return value
    }
}

private struct TimedOut: Error, CustomStringConvertible { let description: String }

/// The frames a render has reported, and a wait for them to stop moving.
private final class FrameWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var last = 0
    private var changed = ContinuousClock.now

    func record(_ frames: Int) {
        lock.withLock {
            if frames != last {
                last = frames
                changed = .now
            }
        }
    }

    var frames: Int { lock.withLock { last } }

    /// Returns once frames have come and then not moved for `quiet`.
    func untilStill(for quiet: Duration, within bound: Duration) async throws {
        let deadline = ContinuousClock.now + bound
        while ContinuousClock.now < deadline {
            let (frames, since) = lock.withLock { (last, changed) }
            if frames > 0 && ContinuousClock.now - since >= quiet { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TimedOut(description: "the render's progress did not settle within \(bound) (\(frames) frames)")
    }
}
