internal import CFFmpeg

/// Owns a decoding `AVCodecContext` for one stream of a `Demuxer`.
final class Decoder {
    private var context: UnsafeMutablePointer<AVCodecContext>?
    let streamIndex: Int
    /// The stream's time base; packets and decoded frames are in it.
    let timeBase: AVRational
    private let path: String

    init(demuxer: Demuxer, streamIndex: Int) throws(MediaError) {
        self.streamIndex = streamIndex
        self.path = demuxer.path
        let stream = demuxer.stream(streamIndex)
        timeBase = stream.pointee.time_base
        let parameters = stream.pointee.codecpar!
        guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
            let name = String(cString: avcodec_get_name(parameters.pointee.codec_id))
            throw MediaError(
                code: .unsupportedCodec, operation: "finding a decoder", path: path, message: "no decoder for \(name) in this FFmpeg build")
        }
        guard let context = avcodec_alloc_context3(codec) else {
            throw MediaError(code: .ffmpeg, operation: "allocating a decoder", path: path, message: "out of memory")
        }
        self.context = context
        try check(avcodec_parameters_to_context(context, parameters), "configuring the decoder", path: path)
        context.pointee.pkt_timebase = timeBase
        // Frame threads use every core for decoding, as the ffmpeg CLI does by default.
        context.pointee.thread_count = 0
        // A stream that grows its frame mid-file (a new parameter set) is held to the same cap.
        context.pointee.max_pixels = Int64(demuxer.limits.maxFramePixels)
        try check(avcodec_open2(context, codec, nil), "opening the decoder", path: path, code: .unsupportedCodec)
    }

    deinit {
        avcodec_free_context(&context)
    }

    private var codecContext: UnsafeMutablePointer<AVCodecContext> { context! }

    var width: Int32 { codecContext.pointee.width }
    var height: Int32 { codecContext.pointee.height }
    var pixelFormat: AVPixelFormat { codecContext.pointee.pix_fmt }
    var sampleAspectRatio: AVRational { codecContext.pointee.sample_aspect_ratio }
    var sampleRate: Int32 { codecContext.pointee.sample_rate }
    var sampleFormat: AVSampleFormat { codecContext.pointee.sample_fmt }

    /// The channel layout as FFmpeg describes it ("5.1", "stereo"), for the `abuffer` filter.
    var channelLayoutDescription: String {
        var buffer = [CChar](repeating: 0, count: 128)
        var layout = codecContext.pointee.ch_layout
        if layout.order == AV_CHANNEL_ORDER_UNSPEC {
            // Unspecified order (some WAV/PCM): use the default layout for the channel count.
            av_channel_layout_default(&layout, layout.nb_channels)
        }
        _ = av_channel_layout_describe(&layout, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Sends a packet, or nil to start draining. `.needsInput` here means "receive frames first".
    func send(_ packet: Packet?) throws(MediaError) -> StepResult {
        let status = avcodec_send_packet(codecContext, packet?.pointer)
        if status == cutline_averror_eagain() { return .needsInput }
        if status == cutline_averror_eof() { return .endOfStream }
        // Damaged data in one packet (a truncated or corrupt file): the ffmpeg CLI logs it and goes on;
        // so do we, and the frames that do decode still make clips.
        if status == cutline_averror_invaliddata() { return .ready }
        try check(status, "decoding", path: path)
        return .ready
    }

    /// Receives the next decoded frame into `frame`.
    func receive(into frame: Frame) throws(MediaError) -> StepResult {
        let status = avcodec_receive_frame(codecContext, frame.pointer)
        if status == cutline_averror_eagain() { return .needsInput }
        if status == cutline_averror_eof() { return .endOfStream }
        try check(status, "decoding", path: path)
        return .ready
    }
}
