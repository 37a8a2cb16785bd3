internal import CFFmpeg
public import CutlineCore
import Foundation

/// What `probe` learns about a source: enough to plan segments and to show the user.
public struct MediaInfo: Sendable, Hashable, Codable {
    /// Seconds of picture: the video stream's duration, or the container's when the stream has none.
    public var duration: Double
    /// FFmpeg's short name for the container, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "mpegts".
    public var container: String
    /// The video's first timestamp in seconds; far from zero in MPEG-TS recordings. Clip times count from it.
    public var startTime: Double
    public var video: VideoStreamInfo
    public var audio: AudioStreamInfo?
}

public struct VideoStreamInfo: Sendable, Hashable, Codable {
    public var codec: String
    /// Coded size, before rotation.
    public var width: Int
    public var height: Int
    /// The average frame rate (the nominal one for variable-frame-rate sources).
    public var frameRate: FrameRate
    /// Clockwise degrees (0, 90, 180, 270) the picture must turn to be upright, from the display matrix.
    public var rotation: Int
    public var pixelFormat: String

    /// The size as shown (and as rendered): width and height swap for 90° and 270°.
    public var displayWidth: Int { rotation % 180 == 0 ? width : height }
    public var displayHeight: Int { rotation % 180 == 0 ? height : width }
}

public struct AudioStreamInfo: Sendable, Hashable, Codable {
    public var codec: String
    public var sampleRate: Int
    public var channels: Int
}

public enum MediaProbe {
    /// Opens `path` (a local file or an http(s) URL) and describes it. Throws a `MediaError`
    /// (`.notMedia`, `.unsupportedFormat`, `.tooLarge`, `.timedOut`, `.noVideoStream`, `.corrupt`,
    /// `.unreadable`, `.unsupportedCodec`) carrying FFmpeg's message; never crashes on a hostile file,
    /// never opens anything but `path`, and stops reading when `interrupt` says so.
    public static func probe(
        _ path: String, limits: SourceLimits = .standard, interrupt: MediaInterrupt = MediaInterrupt()
    ) throws(MediaError) -> MediaInfo {
        let demuxer = try Demuxer(path: path, limits: limits, interrupt: interrupt)
        return try describe(demuxer)
    }

    static func describe(_ demuxer: Demuxer) throws(MediaError) -> MediaInfo {
        let path = demuxer.path
        guard let videoIndex = demuxer.bestStream(AVMEDIA_TYPE_VIDEO) else {
            throw MediaError(code: .noVideoStream, operation: "finding the video stream", path: path, message: "the file has no video stream")
        }
        let videoStream = demuxer.stream(videoIndex)
        let parameters = videoStream.pointee.codecpar.pointee
        guard parameters.width > 0, parameters.height > 0 else {
            throw MediaError(
                code: .corrupt, operation: "reading the video stream", path: path,
                message: "the video stream has no picture size (damaged or truncated file)")
        }
        guard avcodec_find_decoder(parameters.codec_id) != nil else {
            throw MediaError(
                code: .unsupportedCodec, operation: "finding a decoder", path: path, message: "no decoder for \(codecName(parameters.codec_id))")
        }
        let video = VideoStreamInfo(
            codec: codecName(parameters.codec_id),
            width: Int(parameters.width),
            height: Int(parameters.height),
            frameRate: frameRate(of: videoStream),
            rotation: rotation(of: videoStream),
            pixelFormat: av_get_pix_fmt_name(AVPixelFormat(parameters.format)).map { String(cString: $0) } ?? "unknown"
        )

        var audio: AudioStreamInfo?
        if let audioIndex = demuxer.bestStream(AVMEDIA_TYPE_AUDIO) {
            let parameters = demuxer.stream(audioIndex).pointee.codecpar.pointee
            if parameters.sample_rate > 0, avcodec_find_decoder(parameters.codec_id) != nil {
                audio = AudioStreamInfo(
                    codec: codecName(parameters.codec_id),
                    sampleRate: Int(parameters.sample_rate),
                    channels: Int(parameters.ch_layout.nb_channels)
                )
            }
        }

        // The picture defines a clip's timeline: its first timestamp is time zero and its length the
        // duration (the container's duration also counts sound that runs past the last frame).
        let stream = videoStream.pointee
        var startTime = demuxer.startTime
        if stream.start_time != cutline_av_nopts_value() {
            startTime = Double(stream.start_time) * av_q2d(stream.time_base)
        }
        var duration: Double?
        if stream.duration != cutline_av_nopts_value(), stream.duration > 0 {
            duration = Double(stream.duration) * av_q2d(stream.time_base)
        } else if let total = demuxer.duration {
            duration = total - (startTime - demuxer.startTime)
        }
        guard let duration, duration > 0 else {
            throw MediaError(
                code: .corrupt, operation: "reading the duration", path: path,
                message: "the file does not say how long it is (damaged or truncated file)")
        }
        guard duration <= demuxer.limits.maxDuration else {
            throw MediaError(
                code: .tooLarge, operation: "reading the duration", path: path,
                message: "the video is \(hours(duration)) long; Cutline takes videos of at most \(hours(demuxer.limits.maxDuration))")
        }
        return MediaInfo(duration: duration, container: demuxer.formatName, startTime: startTime, video: video, audio: audio)
    }

    /// "1 h 05 min", "12 min 30 s", "45 s".
    static func hours(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole >= 3600 { return String(format: "%d h %02d min", whole / 3600, whole % 3600 / 60) }
        if whole >= 60 { return String(format: "%d min %02d s", whole / 60, whole % 60) }
        return "\(whole) s"
    }

    static func codecName(_ id: AVCodecID) -> String {
        String(cString: avcodec_get_name(id))
    }

    /// The average frame rate, else the container's guess, else 25 (a still-image stream has neither).
    static func frameRate(of stream: UnsafeMutablePointer<AVStream>) -> FrameRate {
        for rate in [stream.pointee.avg_frame_rate, stream.pointee.r_frame_rate] where rate.num > 0 && rate.den > 0 {
            // Reduce big fractions (VFR files report e.g. 3000000/100100) to keep frame arithmetic small.
            var num: Int32 = 0
            var den: Int32 = 0
            av_reduce(&num, &den, Int64(rate.num), Int64(rate.den), 1_000_000)
            return FrameRate(numerator: Int(num), denominator: Int(den))
        }
        return FrameRate(25)
    }

    /// Clockwise degrees to turn the picture upright, rounded to a quarter turn, from the stream's display
    /// matrix (FFmpeg 5.1 keeps it as stream side data; the decoder does not apply it).
    static func rotation(of stream: UnsafeMutablePointer<AVStream>) -> Int {
        var size: Int = 0
        guard let data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size), size >= 9 * 4 else { return 0 }
        let counterClockwise = data.withMemoryRebound(to: Int32.self, capacity: 9) { av_display_rotation_get($0) }
        guard counterClockwise.isFinite else { return 0 }
        let clockwise = Int((-counterClockwise / 90).rounded()) * 90
        return ((clockwise % 360) + 360) % 360
    }
}
