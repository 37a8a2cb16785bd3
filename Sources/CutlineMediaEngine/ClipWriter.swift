internal import CFFmpeg
import CutlineCore
import Foundation

/// One clip being written: its muxer and its own AAC encoder. The picture comes encoded, from the render's
/// one x264 encoder (which starts each clip with an IDR frame, so every clip is a file of its own);
/// timestamps are made relative to the clip's first frame here.
final class ClipWriter {
    let segment: Segment
    let path: String
    private let partialPath: String
    private let muxer: Muxer
    private let videoStream: Int
    private let audioEncoder: Encoder?
    private let audioStream: Int
    private let fifo: AudioFIFO?
    /// Brings the clip's sound to its loudness target (nil: as the source has it).
    private let leveler: AudioLeveler?
    private let leveled: Frame
    private let packet: Packet
    /// The clip's time zero in the video time base (relative to the source's start).
    private let videoZero: Int64
    private let frameTicks: Int64
    private var audioPts: Int64 = 0
    /// Samples given to this clip so far (written to the FIFO).
    private(set) var audioSamples: Int64 = 0
    /// Frames sent to the encoder for this clip.
    var videoFrames = 0
    private(set) var audioFinished: Bool
    /// All of the clip's encoded picture has been written / all of its sound given (flushed in `complete()`).
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

    init(
        segment: Segment, path: String, encoding: EncodingSettings, video: VideoFormat, videoEncoder: Encoder, audioSampleRate: Int32?,
        leveling: (gain: Double, ceiling: Double)? = nil
    ) throws(MediaError) {
        self.segment = segment
        self.path = path
        partialPath = path + ".part"
        muxer = try Muxer(path: partialPath)
        let global = muxer.wantsGlobalHeader
        videoStream = try muxer.addStream(for: videoEncoder)
        if let rate = audioSampleRate {
            let encoder = try Encoder(audio: encoding.audioCodec, sampleRate: rate, bitRate: encoding.audioBitRate, globalHeader: global)
            audioEncoder = encoder
            audioStream = try muxer.addStream(for: encoder)
            fifo = try AudioFIFO(sampleRate: rate)
            leveler = try leveling.map { (leveling) throws(MediaError) in
                try AudioLeveler(gain: leveling.gain, ceiling: leveling.ceiling, sampleRate: rate, frameSize: encoder.frameSize)
            }
        } else {
            audioEncoder = nil
            audioStream = -1
            fifo = nil
            leveler = nil
        }
        leveled = try Frame()
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

    /// Writes a packet of the clip's picture; `zero` is the pts of its first frame (encoder time base).
    func writeVideo(_ packet: Packet, zero: Int64) throws(MediaError) {
        let p = packet.pointer
        if p.pointee.pts != cutline_av_nopts_value() { p.pointee.pts -= zero }
        if p.pointee.dts != cutline_av_nopts_value() { p.pointee.dts -= zero }
        // libx264 in FFmpeg 5.1 leaves durations at 0; the MP4 muxer would then give the last frame no
        // time and the clip would be one frame short.
        if p.pointee.duration == 0 { p.pointee.duration = frameTicks }
        try muxer.write(packet, stream: videoStream)
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

    private func encodeAudio(_ frame: Frame?) throws(MediaError) {
        guard let leveler else {
            if let frame { try encode(frame) }
            return
        }
        try leveler.level(frame, into: leveled) { (out) throws(MediaError) in
            out.pts = audioPts
            try encode(out)
        }
    }

    private func encode(_ frame: Frame) throws(MediaError) {
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
        if leveler != nil { try encodeAudio(nil) }  // the limiter's look-ahead
        try audioEncoder.send(nil)
        try drain(audioEncoder, stream: audioStream)
        audioFinished = true
    }

    /// Flushes the sound, writes the trailer and renames the file into place.
    func complete() throws(MediaError) -> RenderedClip {
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
                try muxer.write(packet, stream: stream)
            case .needsInput, .endOfStream:
                return
            }
        }
    }
}
