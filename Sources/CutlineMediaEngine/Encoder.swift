internal import CFFmpeg

/// Owns an encoding `AVCodecContext` (libx264 for video, FFmpeg's AAC for audio).
final class Encoder {
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private let purpose: String

    /// A video encoder for frames of `width`×`height` in `timeBase`.
    init(
        video codecName: String, width: Int32, height: Int32, pixelFormat: AVPixelFormat,
        timeBase: AVRational, frameRate: AVRational, sampleAspectRatio: AVRational,
        options: [(String, String)], globalHeader: Bool
    ) throws(MediaError) {
        purpose = "video encoder \(codecName)"
        let context = try Encoder.allocate(codecName, purpose: purpose)
        self.context = context
        context.pointee.width = width
        context.pointee.height = height
        context.pointee.pix_fmt = pixelFormat
        context.pointee.time_base = timeBase
        context.pointee.framerate = frameRate
        context.pointee.sample_aspect_ratio = sampleAspectRatio
        if globalHeader { context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        try open(options: options)
    }

    /// An audio encoder for planar float stereo at `sampleRate`.
    init(audio codecName: String, sampleRate: Int32, bitRate: Int, globalHeader: Bool) throws(MediaError) {
        purpose = "audio encoder \(codecName)"
        let context = try Encoder.allocate(codecName, purpose: purpose)
        self.context = context
        context.pointee.sample_rate = sampleRate
        context.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
        av_channel_layout_default(&context.pointee.ch_layout, 2)
        context.pointee.bit_rate = Int64(bitRate)
        context.pointee.time_base = AVRational(num: 1, den: sampleRate)
        if globalHeader { context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        try open(options: [])
    }

    private static func allocate(_ codecName: String, purpose: String) throws(MediaError) -> UnsafeMutablePointer<AVCodecContext> {
        guard let codec = avcodec_find_encoder_by_name(codecName) else {
            throw MediaError(code: .unsupportedCodec, operation: "finding the \(purpose)", message: "this FFmpeg build has no encoder \(codecName)")
        }
        guard let context = avcodec_alloc_context3(codec) else {
            throw MediaError(code: .ffmpeg, operation: "allocating the \(purpose)", message: "out of memory")
        }
        return context
    }

    private func open(options: [(String, String)]) throws(MediaError) {
        var dictionary: OpaquePointer?
        defer { av_dict_free(&dictionary) }
        for (key, value) in options {
            av_dict_set(&dictionary, key, value, 0)
        }
        try check(avcodec_open2(codecContext, codecContext.pointee.codec, &dictionary), "opening the \(purpose)")
        if let unused = av_dict_get(dictionary, "", nil, AV_DICT_IGNORE_SUFFIX) {
            throw MediaError(
                code: .invalidRequest, operation: "opening the \(purpose)", message: "unknown encoder option \(String(cString: unused.pointee.key))")
        }
    }

    deinit {
        avcodec_free_context(&context)
    }

    private var codecContext: UnsafeMutablePointer<AVCodecContext> { context! }

    var timeBase: AVRational { codecContext.pointee.time_base }
    /// Samples per audio frame the encoder wants (1024 for AAC).
    var frameSize: Int32 { codecContext.pointee.frame_size }

    /// Sends a frame, or nil to drain.
    func send(_ frame: Frame?) throws(MediaError) {
        try check(avcodec_send_frame(codecContext, frame?.pointer), "encoding (\(purpose))")
    }

    /// Receives the next encoded packet into `packet`.
    func receive(into packet: Packet) throws(MediaError) -> StepResult {
        let status = avcodec_receive_packet(codecContext, packet.pointer)
        if status == cutline_averror_eagain() { return .needsInput }
        if status == cutline_averror_eof() { return .endOfStream }
        try check(status, "encoding (\(purpose))")
        return .ready
    }

    /// Copies the encoder's parameters into a muxer stream (inside `Muxer`).
    func copyParameters(to parameters: UnsafeMutablePointer<AVCodecParameters>) throws(MediaError) {
        try check(avcodec_parameters_from_context(parameters, codecContext), "describing the \(purpose) to the muxer")
    }
}
