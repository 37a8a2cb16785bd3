internal import CFFmpeg
import CutlineCore
import Foundation

/// One clip being written: its own encoders and muxer, so each clip starts with an IDR frame and is a
/// complete file the moment it finishes. Timestamps are made relative to the clip's start here.
final class ClipWriter {
    let segment: Segment
    let path: String
    private let partialPath: String
    private let muxer: Muxer
    /// Released as soon as it is flushed: x264 holds tens of MiB of frames at 720p.
    private var videoEncoder: Encoder?
    private let videoStream: Int
    private let audioEncoder: Encoder?
    private let audioStream: Int
    private let fifo: AudioFIFO?
    private let packet: Packet
    /// The clip's time zero in the video time base (relative to the source's start).
    private let videoZero: Int64
    private let frameTicks: Int64
    private var lastVideoPts: Int64 = .min
    private var audioPts: Int64 = 0
    /// Samples given to this clip so far (written to the FIFO).
    private(set) var audioSamples: Int64 = 0
    private(set) var videoFrames = 0
    private(set) var videoFinished = false
    private(set) var audioFinished: Bool
    /// All of the clip's picture / sound has been given; flushing happens later, in `complete()`.
    var videoEnded = false
    /// The clip's thumbnail, once written.
    var thumbnailPath: String?
    var audioEnded: Bool

    struct VideoFormat {
        let width: Int32
        let height: Int32
        let timeBase: AVRational
        let frameRate: AVRational
        let sampleAspectRatio: AVRational
    }

    init(segment: Segment, path: String, encoding: EncodingSettings, video: VideoFormat, audioSampleRate: Int32?) throws(MediaError) {
        self.segment = segment
        self.path = path
        partialPath = path + ".part"
        muxer = try Muxer(path: partialPath)
        let global = muxer.wantsGlobalHeader
        let videoEncoder = try Encoder(
            video: encoding.videoCodec, width: video.width, height: video.height, pixelFormat: AV_PIX_FMT_YUV420P,
            timeBase: video.timeBase, frameRate: video.frameRate, sampleAspectRatio: video.sampleAspectRatio,
            options: encoding.videoOptions,
            globalHeader: global
        )
        self.videoEncoder = videoEncoder
        videoStream = try muxer.addStream(for: videoEncoder)
        if let rate = audioSampleRate {
            let encoder = try Encoder(audio: encoding.audioCodec, sampleRate: rate, bitRate: encoding.audioBitRate, globalHeader: global)
            audioEncoder = encoder
            audioStream = try muxer.addStream(for: encoder)
            fifo = try AudioFIFO(sampleRate: rate)
        } else {
            audioEncoder = nil
            audioStream = -1
            fifo = nil
        }
        audioFinished = audioSampleRate == nil
        audioEnded = audioSampleRate == nil
        try muxer.writeHeader(faststart: encoding.faststart)
        packet = try Packet()
        let tb = video.timeBase
        videoZero = Int64((segment.start * Double(tb.den) / Double(tb.num)).rounded())
        let rate = video.frameRate.num > 0 ? video.frameRate : AVRational(num: 25, den: 1)
        frameTicks = max(1, av_rescale_q(1, AVRational(num: rate.den, den: rate.num), tb))
    }

    deinit {
        // A clip that never finished (error or cancel) leaves no file behind.
        if FileManager.default.fileExists(atPath: partialPath) {
            try? FileManager.default.removeItem(atPath: partialPath)
            if let thumbnailPath { try? FileManager.default.removeItem(atPath: thumbnailPath) }
        }
    }

    /// Encodes a filtered frame whose `pts` is relative to the source start (video time base).
    func addVideo(_ frame: Frame) throws(MediaError) {
        // Strictly increasing, from 0: a frame a tick before the planned start (rounding) becomes 0.
        let pts = max(frame.pts - videoZero, lastVideoPts == .min ? 0 : lastVideoPts + 1, 0)
        frame.pts = pts
        lastVideoPts = pts
        frame.pointer.pointee.pict_type = AV_PICTURE_TYPE_NONE
        guard let videoEncoder else { return }
        try videoEncoder.send(frame)
        videoFrames += 1
        try drain(videoEncoder, stream: videoStream)
    }

    func finishVideo() throws(MediaError) {
        guard !videoFinished else { return }
        guard let videoEncoder else { return }
        try videoEncoder.send(nil)
        try drain(videoEncoder, stream: videoStream)
        self.videoEncoder = nil
        videoFinished = true
    }

    /// Adds `count` samples of a filtered audio frame from `offset`.
    func addAudio(_ frame: Frame, offset: Int, count: Int) throws(MediaError) {
        guard let fifo else { return }
        try fifo.write(frame, offset: offset, count: count)
        audioSamples += Int64(count)
        try encodeFullAudioFrames()
    }

    func addSilence(count: Int) throws(MediaError) {
        guard let fifo, count > 0 else { return }
        try fifo.writeSilence(count: count)
        audioSamples += Int64(count)
        try encodeFullAudioFrames()
    }

    private func encodeFullAudioFrames() throws(MediaError) {
        guard let fifo, let audioEncoder else { return }
        let size = Int(audioEncoder.frameSize)
        while fifo.count >= size {
            try encodeAudio(try fifo.read(count: size, pts: audioPts))
        }
    }

    private func encodeAudio(_ frame: Frame) throws(MediaError) {
        guard let audioEncoder else { return }
        audioPts += Int64(frame.sampleCount)
        try audioEncoder.send(frame)
        try drain(audioEncoder, stream: audioStream)
    }

    func finishAudio() throws(MediaError) {
        guard let fifo, let audioEncoder, !audioFinished else { return }
        if fifo.count > 0 {
            // The AAC encoder accepts one short frame, the last.
            try encodeAudio(try fifo.read(count: fifo.count, pts: audioPts))
        }
        try audioEncoder.send(nil)
        try drain(audioEncoder, stream: audioStream)
        audioFinished = true
    }

    /// Flushes both encoders, writes the trailer and renames the file into place.
    func complete() throws(MediaError) -> RenderedClip {
        try finishVideo()
        try finishAudio()
        return try close()
    }

    /// Writes the trailer, renames the file into place and describes it.
    func close() throws(MediaError) -> RenderedClip {
        try muxer.finish()
        do {
            if FileManager.default.fileExists(atPath: path) {
                try FileManager.default.removeItem(atPath: path)
            }
            try FileManager.default.moveItem(atPath: partialPath, toPath: path)
        } catch {
            throw MediaError(code: .unreadable, operation: "moving the clip into place", path: path, message: "\(error)")
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        return RenderedClip(
            index: segment.index, path: path, start: segment.start, duration: segment.duration,
            frames: videoFrames, hasAudio: audioEncoder != nil, bytes: bytes, thumbnailPath: thumbnailPath
        )
    }

    private func drain(_ encoder: Encoder, stream: Int) throws(MediaError) {
        while true {
            switch try encoder.receive(into: packet) {
            case .ready:
                // libx264 in FFmpeg 5.1 leaves durations at 0; the MP4 muxer would then give the last
                // frame no time and the clip would be one frame short.
                if stream == videoStream, packet.pointer.pointee.duration == 0 {
                    packet.pointer.pointee.duration = frameTicks
                }
                try muxer.write(packet, stream: stream)
            case .needsInput, .endOfStream:
                return
            }
        }
    }
}
