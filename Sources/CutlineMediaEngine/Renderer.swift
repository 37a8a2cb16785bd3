internal import CFFmpeg
import CutlineCore
import Foundation
import Synchronization

/// Renders every clip of a plan in one pass over the source: the file is demuxed and decoded once, the
/// overlay for all clips is one timed subtitle track in one filter graph, and decoded frames are routed
/// to the clip whose time range holds them.
public enum Renderer {
    /// Blocking: runs FFmpeg on the calling thread; `interrupt.cancel()` from any thread stops it at the
    /// next packet, or within about 100 ms while a read is blocked, with `.cancelled` and no partial
    /// clip left behind (finished clips stay). Services call the `async` overload, which gives the
    /// work a thread of its own so it never blocks Swift's cooperative pool.
    public static func renderBlocking(
        _ request: RenderRequest,
        interrupt: MediaInterrupt = MediaInterrupt(),
        progress: @escaping (RenderProgress) -> Void = { _ in },
        clipFinished: @escaping (RenderedClip) -> Void = { _ in }
    ) throws(MediaError) -> [RenderedClip] {
        let job = try RenderJob(request: request, interrupt: interrupt, progress: progress, clipFinished: clipFinished)
        return try job.run()
    }

    /// Renders on a dedicated thread; cancelling the task cancels the render cooperatively.
    public static func render(
        _ request: RenderRequest,
        progress: @escaping @Sendable (RenderProgress) -> Void = { _ in },
        clipFinished: @escaping @Sendable (RenderedClip) -> Void = { _ in }
    ) async throws -> [RenderedClip] {
        let interrupt = MediaInterrupt()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[RenderedClip], any Error>) in
                let thread = Thread {
                    Thread.current.name = "render"
                    do {
                        continuation.resume(
                            returning: try renderBlocking(request, interrupt: interrupt, progress: progress, clipFinished: clipFinished))
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                thread.start()
            }
        } onCancel: {
            interrupt.cancel()
        }
    }
}

/// One render's state: the demuxer, decoders, the two filter graphs and the open clip writers.
private final class RenderJob {
    let request: RenderRequest
    let interrupt: MediaInterrupt
    let progress: (RenderProgress) -> Void
    let clipFinished: (RenderedClip) -> Void

    let demuxer: Demuxer
    let info: MediaInfo
    let videoIndex: Int
    let videoDecoder: Decoder
    let audioIndex: Int?
    let audioDecoder: Decoder?
    let videoGraph: FilterGraph
    let videoSource: FilterGraph.Node
    let videoSink: FilterGraph.Node
    let audioGraph: FilterGraph?
    let audioSource: FilterGraph.Node?
    let audioSink: FilterGraph.Node?
    /// Draws each clip's text (nil when no clip has one); the current clip's image is painted when its
    /// first frame arrives and blended into each of its frames.
    let painter: TextPainter?
    var overlay: (segment: Int, image: TextImage?)?

    let segments: [Segment]
    /// The source's first timestamp in each stream's time base; clip times count from it.
    let videoOrigin: Int64
    let audioOrigin: Int64
    /// The clips' sample rate (the source's unless the encoding asks for another) and the source's.
    let audioRate: Int32
    let sourceAudioRate: Int32
    /// A frame belongs to segment `i` when its time is at or after `thresholds[i]` (half a frame before
    /// the planned start, so rounding in timestamps cannot move a frame across a boundary).
    var thresholds: [Int64] = []
    /// The time of each clip's thumbnail frame (half a second in, or the middle of a shorter clip).
    var thumbnailTimes: [Int64] = []
    var audioEnds: [Int64] = []
    /// Per clip, the gain that brings its sound to `request.loudness` (absent: silent, or no target).
    var gains: [Int: Double] = [:]
    /// A task that ends before the plan does: where the next segment's picture starts (frames from there
    /// on are not this render's), and whether the source has been read that far.
    var stopThreshold: Int64?
    var pastEnd = false
    var videoFormat: ClipWriter.VideoFormat?

    var writers: [Int: ClipWriter] = [:]
    /// One x264 for the whole render, as the ffmpeg CLI's segment muxer has: each clip's first frame is
    /// sent as a forced IDR (closed GOP), so every clip still starts with a keyframe and stands alone,
    /// without an encoder started and flushed at every boundary.
    var videoEncoder: Encoder?
    let videoPacket: Packet
    /// The clip the encoder's packets go to, and each clip's first frame (its time zero).
    var packetClip = 0
    var clipFirstPts: [Int: Int64] = [:]
    var lastSentPts: Int64 = .min
    let finisher = ClipFinisher()
    var finished: [RenderedClip] = []
    var videoSegment = 0
    var audioSegment = 0
    var audioCursor: Int64 = 0
    var nextVideoPts: Int64 = 0
    var lastVideoEnd: Int64 = 0
    var framesDone = 0
    let framesTotal: Int

    let packet: Packet
    let decoded: Frame
    let filtered: Frame

    init(
        request: RenderRequest, interrupt: MediaInterrupt, progress: @escaping (RenderProgress) -> Void,
        clipFinished: @escaping (RenderedClip) -> Void
    ) throws(MediaError) {
        self.request = request
        self.interrupt = interrupt
        self.progress = progress
        self.clipFinished = clipFinished
        let planned = request.plan.segments
        guard request.texts.count == planned.count else {
            throw MediaError(
                code: .invalidRequest, operation: "starting the render", message: "\(request.texts.count) texts for \(planned.count) segments")
        }
        let end = request.endSegment ?? planned.count
        guard planned.indices.contains(request.firstSegment), (request.firstSegment + 1...planned.count).contains(end) else {
            throw MediaError(
                code: .invalidRequest, operation: "starting the render",
                message: "segments \(request.firstSegment) to \(end - 1) are not within the plan's \(planned.count)")
        }
        // A task ending early renders the plan's first `end` segments (skipping those before its first).
        segments = Array(planned.prefix(end))
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: request.outputDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MediaError(
                code: .invalidRequest, operation: "starting the render", path: request.outputDirectory, message: "the output directory does not exist"
            )
        }

        demuxer = try Demuxer(path: request.source, limits: request.limits, interrupt: interrupt)
        info = try MediaProbe.describe(demuxer)
        videoIndex = demuxer.bestStream(AVMEDIA_TYPE_VIDEO)!
        videoDecoder = try Decoder(demuxer: demuxer, streamIndex: videoIndex)
        if info.audio != nil, let index = demuxer.bestStream(AVMEDIA_TYPE_AUDIO) {
            audioIndex = index
            audioDecoder = try Decoder(demuxer: demuxer, streamIndex: index)
        } else {
            audioIndex = nil
            audioDecoder = nil
        }
        demuxer.keepOnly(Set([videoIndex] + (audioIndex.map { [$0] } ?? [])))

        let startMicros = Int64((info.startTime * 1_000_000).rounded())
        videoOrigin = av_rescale_q(startMicros, cutline_av_time_base_q(), videoDecoder.timeBase)
        let audioTimeBase = audioDecoder?.timeBase ?? AVRational(num: 1, den: 48000)
        audioOrigin = av_rescale_q(startMicros, cutline_av_time_base_q(), audioTimeBase)

        let video = try VideoChain(decoder: videoDecoder, info: info, shape: request.shape)
        videoSource = video.source
        videoSink = video.sink
        let rate = info.video.frameRate
        if request.texts.contains(where: { !$0.isEmpty }) {
            painter = TextPainter(layout: OverlayLayout(width: video.width, height: video.height, style: request.style, safeArea: request.safeArea))
        } else {
            painter = nil
        }
        videoGraph = video.graph

        // Audio: source → planar float stereo at the clips' rate (AAC's format) → sink.
        if let audioDecoder {
            let rate = audioDecoder.sampleRate
            sourceAudioRate = rate
            audioRate = request.encoding.audioSampleRate.map { Int32($0) } ?? rate
            let graph = try FilterGraph(purpose: "audio")
            let source = try graph.add(
                "abuffer",
                optionList: [
                    ("time_base", "1/\(rate)"), ("sample_rate", "\(rate)"),
                    ("sample_fmt", av_get_sample_fmt_name(audioDecoder.sampleFormat).map { String(cString: $0) } ?? "fltp"),
                    ("channel_layout", audioDecoder.channelLayoutDescription),
                ])
            let format = try graph.add(
                "aformat", optionList: [("sample_fmts", "fltp"), ("sample_rates", "\(audioRate)"), ("channel_layouts", "stereo")])
            let sink = try graph.add("abuffersink")
            try graph.chain([source, format, sink])
            try graph.configure()
            audioGraph = graph
            audioSource = source
            audioSink = sink
        } else {
            audioRate = 0
            sourceAudioRate = 0
            audioGraph = nil
            audioSource = nil
            audioSink = nil
        }

        framesTotal = max(1, Int((request.plan.duration * rate.framesPerSecond).rounded()))
        packet = try Packet()
        videoPacket = try Packet()
        decoded = try Frame()
        filtered = try Frame()

        let sinkBase = videoGraph.timeBase(of: videoSink)
        let halfFrameSeconds = 0.5 / rate.framesPerSecond
        thresholds = segments.map { Int64((($0.start - halfFrameSeconds) * Double(sinkBase.den) / Double(sinkBase.num)).rounded()) }
        thumbnailTimes = segments.map { Int64((($0.start + min(0.5, $0.duration / 2)) * Double(sinkBase.den) / Double(sinkBase.num)).rounded()) }
        audioEnds = segments.map { Int64(($0.end * Double(audioRate)).rounded()) }
        if segments.count == planned.count {
            // The last clip's sound stops with the plan (the picture's end); sound running on is dropped.
            audioEnds[audioEnds.count - 1] = Int64((request.plan.duration * Double(audioRate)).rounded())
        } else {
            stopThreshold = Int64(((planned[segments.count].start - halfFrameSeconds) * Double(sinkBase.den) / Double(sinkBase.num)).rounded())
        }
        let first = request.firstSegment
        if let target = request.loudness, audioDecoder != nil {
            gains = try LoudnessMeter.gains(
                request, to: target, segments: segments, range: first..<segments.count, audioRate: audioRate, interrupt: interrupt)
        }
        if first == 0 {
            thresholds[0] = .min  // everything before the first boundary belongs to the first clip
        } else {
            // Resuming: decode from the keyframe before the segment (a second early, for the sound
            // decoder's priming); frames and samples before it are dropped, not encoded.
            try demuxer.seek(toSeconds: max(0, segments[first].start - 1))
            videoSegment = first
            audioSegment = first
            packetClip = first
            audioCursor = audioEnds[first - 1]
            framesDone = Int((segments[first].start * rate.framesPerSecond).rounded())
        }
    }

    func run() throws(MediaError) -> [RenderedClip] {
        // Whatever happens, no clip is still being finished on the other thread when this returns.
        defer { finisher.wait() }
        reportProgress()
        while true {
            try deliverFinished()
            if let reason = interrupt.reason { throw interrupt.error(reason, path: request.source) }
            // A task's last clip has its picture and its sound: the rest of the source is another task's.
            if pastEnd, audioDecoder == nil || audioCursor >= audioEnds[audioEnds.count - 1] { break }
            let result = try demuxer.read(into: packet)
            if result == .endOfStream { break }
            if result == .needsInput { continue }
            defer { packet.unref() }
            if packet.streamIndex == videoIndex {
                try decode(packet, video: true)
            } else if packet.streamIndex == audioIndex {
                try decode(packet, video: false)
            }
        }
        // Flush in FFmpeg's documented order: decoders, then filter graphs, then (per clip) encoders.
        try decode(nil, video: true)
        try videoGraph.push(nil, to: videoSource)
        try pullVideo()
        try checkReachedThePlansEnd()
        if audioDecoder != nil {
            try decode(nil, video: false)
            try audioGraph!.push(nil, to: audioSource!)
            try pullAudio()
        }
        try finishAll()
        return finished
    }

    /// A source whose picture stops well before the plan's end (seconds, not a frame's rounding) was cut
    /// short: an upload that lost its end, or a damaged file. Completing with fewer clips than planned
    /// would hide that; the clips already made stay, the one under way is dropped.
    private func checkReachedThePlansEnd() throws(MediaError) {
        guard let last = segments.last else { return }
        let base = videoGraph.timeBase(of: videoSink)
        let reached = Double(lastVideoEnd) * Double(base.num) / Double(base.den)
        let slack = max(1.0, 2 / info.video.frameRate.framesPerSecond)
        guard reached < last.end - slack else { return }
        throw MediaError(
            code: .corrupt, operation: "reading the source", path: request.source,
            message: String(
                format:
                    "the video stops at %.1f s, before the end of its last clip at %.1f s (the file is %.1f s long by its header): it was cut short",
                reached, last.end, request.plan.duration))
    }

    // MARK: Decoding

    private func decode(_ packet: Packet?, video: Bool) throws(MediaError) {
        let decoder = video ? videoDecoder : audioDecoder!
        while true {
            let sent = try decoder.send(packet)
            try receiveFrames(from: decoder, video: video)
            if sent != .needsInput { return }
        }
    }

    private func receiveFrames(from decoder: Decoder, video: Bool) throws(MediaError) {
        while true {
            switch try decoder.receive(into: decoded) {
            case .ready:
                if video {
                    try filterVideo()
                } else {
                    try filterAudio()
                }
            case .needsInput, .endOfStream:
                return
            }
        }
    }

    private func filterVideo() throws(MediaError) {
        var pts = decoded.bestEffortTimestamp
        if pts == cutline_av_nopts_value() { pts = nextVideoPts + videoOrigin }
        // Relative to the source's start: the overlay's timing and the segment routing both count from 0.
        decoded.pts = pts - videoOrigin
        nextVideoPts = decoded.pts + 1
        try videoGraph.push(decoded, to: videoSource)
        try pullVideo()
    }

    private func filterAudio() throws(MediaError) {
        let pts = decoded.bestEffortTimestamp
        if pts != cutline_av_nopts_value() {
            decoded.pts = av_rescale_q(pts - audioOrigin, audioDecoder!.timeBase, AVRational(num: 1, den: sourceAudioRate))
        } else {
            decoded.pts = cutline_av_nopts_value()
        }
        try audioGraph!.push(decoded, to: audioSource!)
        try pullAudio()
    }

    private func pullVideo() throws(MediaError) {
        while true {
            guard try videoGraph.pull(from: videoSink, into: filtered) == .ready else { return }
            defer { filtered.unref() }
            try route(videoFrame: filtered)
        }
    }

    private func pullAudio() throws(MediaError) {
        while true {
            guard try audioGraph!.pull(from: audioSink!, into: filtered) == .ready else { return }
            defer { filtered.unref() }
            try route(audioFrame: filtered)
        }
    }

    // MARK: Routing frames to clips

    private func writer(_ index: Int) throws(MediaError) -> ClipWriter {
        if let writer = writers[index] { return writer }
        let format =
            videoFormat
            ?? ClipWriter.VideoFormat(
                width: videoGraph.width(of: videoSink), height: videoGraph.height(of: videoSink),
                timeBase: videoGraph.timeBase(of: videoSink),
                frameRate: AVRational(num: Int32(info.video.frameRate.numerator), den: Int32(info.video.frameRate.denominator)),
                sampleAspectRatio: {
                    let sar = videoGraph.sampleAspectRatio(of: videoSink)
                    return sar.num > 0 ? sar : AVRational(num: 1, den: 1)
                }()
            )
        videoFormat = format
        if videoEncoder == nil {
            videoEncoder = try Encoder(
                video: request.encoding.videoCodec, width: format.width, height: format.height, pixelFormat: AV_PIX_FMT_YUV420P,
                timeBase: format.timeBase, frameRate: format.frameRate, sampleAspectRatio: format.sampleAspectRatio,
                options: request.encoding.videoOptions + (request.encoding.videoCodec == "libx264" ? [("forced-idr", "1")] : []),
                globalHeader: true  // MP4 keeps the parameter sets in the stream header
            )
        }
        let name = String(format: "%@-%03d.mp4", request.fileNamePrefix, index + 1)
        let path = URL(fileURLWithPath: request.outputDirectory).appendingPathComponent(name).path
        let writer = try ClipWriter(
            segment: segments[index], path: path, encoding: request.encoding, video: format, videoEncoder: videoEncoder!,
            audioSampleRate: audioDecoder != nil ? audioRate : nil,
            leveling: gains[index].map { ($0, request.loudness!.truePeak) }
        )
        writers[index] = writer
        return writer
    }

    private func route(videoFrame frame: Frame) throws(MediaError) {
        let time = frame.pts
        if time < thresholds[videoSegment] { return }  // before a resumed render's first segment
        if let stopThreshold, time >= stopThreshold {
            pastEnd = true  // the next task's picture
            return
        }
        // The clip's picture is all sent; it ends when its last packet comes out of the encoder.
        while videoSegment + 1 < segments.count, time >= thresholds[videoSegment + 1] {
            videoSegment += 1
        }
        try drawText(on: frame)
        let format = videoFormat
        let target = try writer(videoSegment)
        if request.thumbnails, target.thumbnailPath == nil, time >= thumbnailTimes[videoSegment] {
            try writeThumbnail(of: frame, for: target)
        }
        let tb = format?.timeBase ?? videoGraph.timeBase(of: videoSink)
        let rate = info.video.frameRate
        lastVideoEnd = time + max(1, av_rescale_q(1, AVRational(num: Int32(rate.denominator), den: Int32(rate.numerator)), tb))
        // Strictly increasing timestamps for the encoder; the first frame of a clip is a forced IDR.
        let pts = max(time, lastSentPts == .min ? time : lastSentPts + 1)
        frame.pts = pts
        lastSentPts = pts
        if clipFirstPts[videoSegment] == nil {
            clipFirstPts[videoSegment] = pts
            frame.pointer.pointee.pict_type = AV_PICTURE_TYPE_I
        } else {
            frame.pointer.pointee.pict_type = AV_PICTURE_TYPE_NONE
        }
        try videoEncoder!.send(frame)
        target.videoFrames += 1
        try drainVideo()
        framesDone += 1
        if framesDone % 25 == 0 { reportProgress() }
    }

    /// Writes the encoder's packets to their clips. A keyframe at or after the next clip's first frame
    /// starts that clip (closed GOPs: every packet of the previous clip has come out before it), and the
    /// previous clip's picture is then complete.
    private func drainVideo() throws(MediaError) {
        guard let encoder = videoEncoder else { return }
        while try encoder.receive(into: videoPacket) == .ready {
            let p = videoPacket.pointer.pointee
            if p.flags & AV_PKT_FLAG_KEY != 0, let next = clipFirstPts[packetClip + 1], p.pts >= next {
                if let ended = writers[packetClip] {
                    ended.videoEnded = true
                    try closeIfDone(packetClip)
                }
                packetClip += 1
            }
            guard let target = writers[packetClip], let zero = clipFirstPts[packetClip] else {
                videoPacket.unref()
                throw MediaError(code: .ffmpeg, operation: "routing encoded video", message: "a packet for clip \(packetClip + 1), which is not open")
            }
            try target.writeVideo(videoPacket, zero: zero)
        }
    }

    /// The clip's thumbnail: the JPEG goes beside the clip (`clip-001.jpg`), written whole or not at all.
    private func writeThumbnail(of frame: Frame, for writer: ClipWriter) throws(MediaError) {
        let data = try JPEGWriter.encode(frame, maxWidth: request.thumbnailWidth)
        let path = String(writer.path.dropLast(4)) + ".jpg"
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw MediaError(code: .unreadable, operation: "writing a thumbnail", path: path, message: "\(error.localizedDescription)")
        }
        writer.thumbnailPath = path
    }

    /// Blends the current clip's text into the frame (made writable first: the decoder may still hold it
    /// as a reference picture).
    private func drawText(on frame: Frame) throws(MediaError) {
        guard let painter, !request.texts[videoSegment].isEmpty else { return }
        if overlay?.segment != videoSegment {
            overlay = nil  // the previous clip's image goes before the next is drawn
            let matrix = ColorMatrix(colorspace: frame.pointer.pointee.colorspace, height: Int(frame.pointer.pointee.height))
            overlay = (videoSegment, try painter.paint(request.texts[videoSegment], matrix: matrix))
        }
        guard let image = overlay?.image else { return }
        try check(av_frame_make_writable(frame.pointer), "making a frame writable for the overlay")
        image.blend(into: frame.pointer)
    }

    private func route(audioFrame frame: Frame) throws(MediaError) {
        let count = frame.sampleCount
        var offset = 0
        let tolerance = Int64(audioRate / 100)  // 10 ms: timestamp jitter, not a real gap
        if frame.pts != cutline_av_nopts_value() {
            let position = frame.pts
            if position > audioCursor + tolerance {
                try routeSilence(Int(position - audioCursor))
            } else if position + tolerance < audioCursor || position < 0 {
                // Overlap, or samples before the source's start (encoder priming): drop them.
                let skip = Int(max(audioCursor, 0) - position)
                offset = min(count, max(0, skip))
            }
        }
        while offset < count {
            if audioSegment + 1 < segments.count, audioCursor >= audioEnds[audioSegment] {
                try advanceAudio()
                continue
            }
            let room = audioEnds[audioSegment] - audioCursor
            if room <= 0 { return }  // past the end of the last clip
            let take = Int(min(Int64(count - offset), room))
            try writer(audioSegment).addAudio(frame, offset: offset, count: take)
            offset += take
            audioCursor += Int64(take)
        }
    }

    private func routeSilence(_ samples: Int) throws(MediaError) {
        var remaining = Int64(samples)
        while remaining > 0 {
            if audioSegment + 1 < segments.count, audioCursor >= audioEnds[audioSegment] {
                try advanceAudio()
                continue
            }
            let room = audioEnds[audioSegment] - audioCursor
            if room <= 0 { return }
            let take = min(remaining, room)
            try writer(audioSegment).addSilence(count: Int(take))
            remaining -= take
            audioCursor += take
        }
    }

    private func advanceAudio() throws(MediaError) {
        try writer(audioSegment).audioEnded = true
        try closeIfDone(audioSegment)
        audioSegment += 1
    }

    /// Hands a clip whose picture and sound are all in to the finisher thread: flushing x264's lookahead
    /// and writing the MP4 index (faststart rewrites the file) would otherwise stall decoding at every
    /// boundary, which the ffmpeg CLI's single encoder never does. The clip is announced from this
    /// thread, in order, by `deliverFinished()`.
    private func closeIfDone(_ index: Int) throws(MediaError) {
        guard let writer = writers[index], writer.videoEnded, writer.audioEnded else { return }
        writers[index] = nil
        if request.encoding.finishClipsConcurrently {
            finisher.complete(writer)
        } else {
            finisher.completeHere(writer)
        }
        try deliverFinished()
    }

    /// Announces clips the finisher has completed; rethrows its failure.
    private func deliverFinished() throws(MediaError) {
        let (clips, failure) = finisher.take()
        for clip in clips {
            finished.append(clip)
            clipFinished(clip)
            reportProgress()
        }
        if let failure { throw failure }
    }

    /// At the end of the source: the last clip's audio ends with its picture (padded with silence if the
    /// sound stops early, cut if it runs on), and every open clip is closed in order.
    private func finishAll() throws(MediaError) {
        if audioDecoder != nil {
            let tb = videoFormat?.timeBase ?? videoGraph.timeBase(of: videoSink)
            let videoEndSamples = av_rescale_q(lastVideoEnd, tb, AVRational(num: 1, den: audioRate))
            // Every clip whose picture exists gets sound up to its end.
            while audioSegment < min(videoSegment, segments.count - 1) {
                try routeSilence(Int(max(0, audioEnds[audioSegment] - audioCursor)))
                try advanceAudio()
            }
            if videoEndSamples > audioCursor {
                try routeSilence(Int(videoEndSamples - audioCursor))
            }
        }
        // The encoder's last packets (its lookahead) belong to the last clips.
        if let encoder = videoEncoder {
            try encoder.send(nil)
            try drainVideo()
        }
        for index in writers.keys.sorted() {
            guard let writer = writers[index] else { continue }
            if writer.videoFrames == 0 {
                // Sound past the last picture (a clip the video never reached) makes no clip.
                writers[index] = nil
                continue
            }
            writer.videoEnded = true
            writer.audioEnded = true
            try closeIfDone(index)
        }
        finisher.wait()
        try deliverFinished()
    }

    private func reportProgress() {
        progress(RenderProgress(framesDone: framesDone, framesTotal: framesTotal, clipsDone: finished.count, clipsTotal: segments.count))
    }
}

/// Completes clips on a serial queue of its own, in the order they are handed over.
private final class ClipFinisher: Sendable {
    private struct State {
        var clips: [RenderedClip] = []
        var failure: MediaError?
    }

    /// Moves a writer to the finisher: after `complete(_:)` only the finisher's queue touches it.
    private final class Handoff: @unchecked Sendable {
        let writer: ClipWriter
        init(_ writer: ClipWriter) { self.writer = writer }
    }

    private let queue = DispatchQueue(label: "cutline.clip-finisher")
    private let group = DispatchGroup()
    private let state = Mutex(State())

    func complete(_ writer: ClipWriter) {
        let handoff = Handoff(writer)
        queue.async(group: group) { [self] in
            if state.withLock({ $0.failure != nil }) { return }
            do throws(MediaError) {
                let clip = try handoff.writer.complete()
                state.withLock { $0.clips.append(clip) }
            } catch {
                state.withLock { $0.failure = error }
            }
        }
    }

    /// Completes a writer on the calling thread (after any handed over before it), keeping one encoder alive.
    func completeHere(_ writer: ClipWriter) {
        group.wait()
        if state.withLock({ $0.failure != nil }) { return }
        do throws(MediaError) {
            let clip = try writer.complete()
            state.withLock { $0.clips.append(clip) }
        } catch {
            state.withLock { $0.failure = error }
        }
    }

    /// The clips completed since the last call, and the first failure if any.
    func take() -> ([RenderedClip], MediaError?) {
        state.withLock { state in
            defer { state.clips = [] }
            return (state.clips, state.failure)
        }
    }

    func wait() {
        group.wait()
    }
}
