internal import CFFmpeg

/// Owns an `AVAudioFifo` of planar float stereo. A clip's audio passes through it because the AAC
/// encoder takes exactly 1024 samples per frame (only the last may be shorter), while segment
/// boundaries cut decoded frames anywhere.
final class AudioFIFO {
    private let fifo: OpaquePointer
    let sampleRate: Int32
    static let channels: Int32 = 2

    init(sampleRate: Int32) throws(MediaError) {
        guard let fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, Self.channels, 4096) else {
            throw MediaError(code: .ffmpeg, operation: "allocating an audio buffer", message: "out of memory")
        }
        self.fifo = fifo
        self.sampleRate = sampleRate
    }

    deinit {
        av_audio_fifo_free(fifo)
    }

    var count: Int { Int(av_audio_fifo_size(fifo)) }

    /// Appends `count` samples of `frame` (planar float stereo) starting at sample `offset`.
    func write(_ frame: Frame, offset: Int, count: Int) throws(MediaError) {
        let bytes = offset * MemoryLayout<Float>.size
        let planes = frame.pointer.pointee.extended_data!
        var pointers: [UnsafeMutableRawPointer?] = (0..<Int(Self.channels)).map { UnsafeMutableRawPointer(planes[$0]! + bytes) }
        let written = pointers.withUnsafeMutableBufferPointer { av_audio_fifo_write(fifo, $0.baseAddress, Int32(count)) }
        if written < Int32(count) {
            throw MediaError.ffmpeg(min(written, cutline_averror(ENOMEM)), "buffering audio")
        }
    }

    /// Appends `count` samples of silence (where the source has a gap, or ends before the picture).
    func writeSilence(count: Int) throws(MediaError) {
        var remaining = count
        var zeros = [Float](repeating: 0, count: min(count, 4096))
        while remaining > 0 {
            let chunk = min(remaining, zeros.count)
            let written = zeros.withUnsafeMutableBytes { buffer -> Int32 in
                var pointers: [UnsafeMutableRawPointer?] = Array(repeating: buffer.baseAddress, count: Int(Self.channels))
                return pointers.withUnsafeMutableBufferPointer { av_audio_fifo_write(fifo, $0.baseAddress, Int32(chunk)) }
            }
            if written < Int32(chunk) {
                throw MediaError.ffmpeg(min(written, cutline_averror(ENOMEM)), "buffering audio")
            }
            remaining -= chunk
        }
    }

    /// Takes the oldest `count` samples as a new frame with timestamp `pts` (in 1/sampleRate).
    func read(count: Int, pts: Int64) throws(MediaError) -> Frame {
        let frame = try Frame()
        let pointer = frame.pointer
        pointer.pointee.nb_samples = Int32(count)
        pointer.pointee.format = AV_SAMPLE_FMT_FLTP.rawValue
        pointer.pointee.sample_rate = sampleRate
        av_channel_layout_default(&pointer.pointee.ch_layout, Self.channels)
        try check(av_frame_get_buffer(pointer, 0), "allocating an audio frame")
        let read = pointer.pointee.extended_data.withMemoryRebound(to: UnsafeMutableRawPointer?.self, capacity: Int(Self.channels)) {
            av_audio_fifo_read(fifo, $0, Int32(count))
        }
        if read < Int32(count) {
            throw MediaError.ffmpeg(min(read, cutline_averror(EIO)), "reading buffered audio")
        }
        pointer.pointee.pts = pts
        return frame
    }
}
