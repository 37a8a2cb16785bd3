internal import CFFmpeg

/// Owns one `AVFrame` (reused across the decode loop; `av_frame_unref` between uses).
final class Frame {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() throws(MediaError) {
        guard let frame = av_frame_alloc() else {
            throw MediaError(code: .ffmpeg, operation: "allocating a frame", message: "out of memory")
        }
        pointer = frame
    }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&frame)
    }

    func unref() { av_frame_unref(pointer) }

    var pts: Int64 {
        get { pointer.pointee.pts }
        set { pointer.pointee.pts = newValue }
    }

    var bestEffortTimestamp: Int64 { pointer.pointee.best_effort_timestamp }

    /// A metadata entry a filter attached (`lavfi.r128.I`), or nil.
    func metadata(_ key: String) -> String? {
        av_dict_get(pointer.pointee.metadata, key, nil, 0).flatMap { $0.pointee.value.map { String(cString: $0) } }
    }
    var sampleCount: Int { Int(pointer.pointee.nb_samples) }
}

/// Owns one `AVPacket`.
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() throws(MediaError) {
        guard let packet = av_packet_alloc() else {
            throw MediaError(code: .ffmpeg, operation: "allocating a packet", message: "out of memory")
        }
        pointer = packet
    }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&packet)
    }

    func unref() { av_packet_unref(pointer) }

    var streamIndex: Int { Int(pointer.pointee.stream_index) }
}

/// What a codec or filter step gave back: FFmpeg's EAGAIN and EOF are control flow, not errors.
enum StepResult {
    /// A frame or packet was written to the output object.
    case ready
    /// Feed more input first (EAGAIN).
    case needsInput
    /// Fully drained (AVERROR_EOF).
    case endOfStream
}
