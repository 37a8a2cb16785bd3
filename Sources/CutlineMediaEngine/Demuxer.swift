internal import CFFmpeg
import Foundation

/// Owns an input `AVFormatContext` and the `AVIOContext` it reads through: opens exactly one source
/// (a local file or one http(s) URL) as a container on `SourceLimits.containerFormats`, finds its
/// streams, reads packets in file order. The source is a stranger's upload: the format is checked
/// before the demuxer sees a byte, nothing it names is ever opened (no nested opens), every read is
/// bounded by `rw_timeout` and by `interrupt`, and frames, streams and length are capped.
final class Demuxer {
    private var context: UnsafeMutablePointer<AVFormatContext>?
    private var io: UnsafeMutablePointer<AVIOContext>?
    let path: String
    let limits: SourceLimits
    let interrupt: MediaInterrupt

    init(path: String, limits: SourceLimits = .standard, interrupt: MediaInterrupt = MediaInterrupt()) throws(MediaError) {
        self.path = path
        self.limits = limits
        self.interrupt = interrupt
        let location = try SourceLocation(path)
        // The demuxer holds `interrupt` for as long as FFmpeg may call back with this pointer.
        var callback = AVIOInterruptCB(callback: mediaInterruptCallback, opaque: Unmanaged.passUnretained(interrupt).toOpaque())

        var ioOptions: OpaquePointer?
        defer { av_dict_free(&ioOptions) }
        av_dict_set(&ioOptions, "protocol_whitelist", location.protocols, 0)
        av_dict_set(&ioOptions, "rw_timeout", "\(limits.readTimeout.microseconds)", 0)
        let opened = avio_open2(&io, location.url, AVIO_FLAG_READ, &callback, &ioOptions)
        if opened < 0 { throw failure(opened, "opening input", code: .unreadable) }

        // The format is decided from the first bytes alone, before any demuxer runs.
        var format: UnsafePointer<AVInputFormat>?
        let probed = av_probe_input_buffer2(io, &format, location.url, nil, 0, 0)
        if probed < 0 {
            throw failure(probed, "opening input", code: probed == cutline_averror_invaliddata() ? .notMedia : .unreadable)
        }
        guard let format else {
            throw MediaError(code: .notMedia, operation: "opening input", path: path, message: "FFmpeg does not recognise the file as media")
        }
        let name = String(cString: format.pointee.name)
        // FFmpeg's tty demuxer takes any text as "ANSI art video"; that is text, not media.
        if name == "tty" {
            throw MediaError(code: .notMedia, operation: "opening input", path: path, message: "text file, not media")
        }
        guard SourceLimits.containerFormats.contains(name) else {
            let long = format.pointee.long_name.map { String(cString: $0) } ?? name
            throw MediaError(
                code: .unsupportedFormat, operation: "opening input", path: path,
                message:
                    "the file is \(long) (\(name)), not a video container Cutline opens (MP4, MOV, MKV, WebM, AVI, MPEG-TS, MPEG-PS, FLV, MXF, Ogg, WMV); playlists and files that refer to other files are never opened"
            )
        }

        guard let allocated = avformat_alloc_context() else {
            throw MediaError(code: .ffmpeg, operation: "opening input", path: path, message: "out of memory")
        }
        allocated.pointee.pb = io
        allocated.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
        allocated.pointee.interrupt_callback = callback
        // No demuxer on the list needs another resource; should one try, it gets nothing.
        allocated.pointee.io_open = refuseNestedOpen
        context = allocated
        var formatOptions: OpaquePointer?
        defer { av_dict_free(&formatOptions) }
        av_dict_set(&formatOptions, "protocol_whitelist", location.protocols, 0)
        // On failure avformat_open_input frees the context and sets it to nil; the AVIOContext is ours.
        let status = avformat_open_input(&context, location.url, format, &formatOptions)
        if status < 0 { throw failure(status, "opening input", code: .notMedia) }
        try checkLimits()

        // Decoders opened to find the streams' parameters refuse frames over the pixel limit, so a
        // file that lies about its size in the header cannot make them allocate a huge frame either.
        let count = streamCount
        var streamOptions = [OpaquePointer?](repeating: nil, count: count)
        for index in 0..<count { av_dict_set(&streamOptions[index], "max_pixels", "\(limits.maxFramePixels)", 0) }
        let found = streamOptions.withUnsafeMutableBufferPointer { avformat_find_stream_info(context, $0.baseAddress) }
        for index in 0..<count { av_dict_free(&streamOptions[index]) }
        try checkLimits()
        if found < 0 { throw failure(found, "reading stream info", code: .corrupt) }
    }

    deinit {
        avformat_close_input(&context)
        avio_closep(&io)
    }

    /// Streams and frame sizes against `limits`, as soon as the container says them.
    private func checkLimits() throws(MediaError) {
        guard streamCount <= limits.maxStreams else {
            throw MediaError(
                code: .tooLarge, operation: "opening input", path: path,
                message: "the file has \(streamCount) streams; Cutline opens files with at most \(limits.maxStreams)")
        }
        for index in 0..<streamCount {
            let parameters = stream(index).pointee.codecpar.pointee
            guard parameters.codec_type == AVMEDIA_TYPE_VIDEO else { continue }
            let width = Int(parameters.width)
            let height = Int(parameters.height)
            if width > limits.maxFrameSide || height > limits.maxFrameSide || width * height > limits.maxFramePixels {
                let megapixels = String(format: "%.1f", Double(width * height) / 1e6)
                throw MediaError(
                    code: .tooLarge, operation: "opening input", path: path,
                    message:
                        "the video's frame is \(width)×\(height) (\(megapixels) Mpx); Cutline takes frames of at most \(limits.maxFrameSide) pixels a side and \(limits.maxFramePixels / 1_000_000) Mpx"
                )
            }
        }
    }

    /// The error for a failed FFmpeg call: a stop the interrupt asked for, a read that timed out, or
    /// FFmpeg's own error as `code`.
    func failure(_ status: Int32, _ operation: String, code: MediaError.Code) -> MediaError {
        if status == cutline_averror_exit(), let reason = interrupt.reason {
            return interrupt.error(reason, path: path)
        }
        if status == cutline_averror(ETIMEDOUT) {
            return MediaError(
                code: .timedOut, operation: operation, path: path,
                message: "the source sent nothing for \(limits.readTimeout.secondsText); the storage is slow or not answering", averror: status)
        }
        return .ffmpeg(status, operation, path: path, code: code)
    }

    private var formatContext: UnsafeMutablePointer<AVFormatContext> { context! }

    /// The container's short name, e.g. "mov,mp4,m4a,3gp,3g2,mj2".
    var formatName: String { String(cString: formatContext.pointee.iformat.pointee.name) }

    /// The container duration in seconds, or nil if the container does not know it.
    var duration: Double? {
        let value = formatContext.pointee.duration
        guard value != cutline_av_nopts_value(), value > 0 else { return nil }
        return Double(value) / Double(cutline_av_time_base())
    }

    /// The start time in seconds (far from zero in MPEG-TS recordings); 0 when unknown.
    var startTime: Double {
        let value = formatContext.pointee.start_time
        guard value != cutline_av_nopts_value() else { return 0 }
        return Double(value) / Double(cutline_av_time_base())
    }

    var streamCount: Int { Int(formatContext.pointee.nb_streams) }

    /// The index of the best stream of a type, or nil.
    func bestStream(_ type: AVMediaType) -> Int? {
        let index = av_find_best_stream(formatContext, type, -1, -1, nil, 0)
        return index >= 0 ? Int(index) : nil
    }

    /// The stream's `AVStream`, for the engine's own types (never handed outside the module).
    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> {
        formatContext.pointee.streams[index]!
    }

    /// Discards every stream except these, so the demuxer does not even hand their packets over.
    func keepOnly(_ indices: Set<Int>) {
        for index in 0..<streamCount {
            stream(index).pointee.discard = indices.contains(index) ? AVDISCARD_DEFAULT : AVDISCARD_ALL
        }
    }

    /// Moves to the last keyframe at or before `seconds` (counted from the container's start), so decoding
    /// from there yields every frame from that time on. Over HTTP this is a Range request, not a download.
    func seek(toSeconds seconds: Double) throws(MediaError) {
        let target = Int64(((startTime + seconds) * Double(cutline_av_time_base())).rounded(.down))
        let status = avformat_seek_file(formatContext, -1, Int64.min, target, target, 0)
        if status < 0 { throw failure(status, "seeking to \(seconds) s", code: .corrupt) }
    }

    /// Reads the next packet into `packet`; `.endOfStream` at the end of the file.
    func read(into packet: Packet) throws(MediaError) -> StepResult {
        let status = av_read_frame(formatContext, packet.pointer)
        if status == cutline_averror_eof() { return .endOfStream }
        if status == cutline_averror_eagain() { return .needsInput }
        if status < 0 { throw failure(status, "reading a packet", code: .corrupt) }
        return .ready
    }
}

/// The demuxer's `io_open`: every nested open (a playlist's entry, a reference to another file) fails.
private let refuseNestedOpen:
    @convention(c) (
        UnsafeMutablePointer<AVFormatContext>?, UnsafeMutablePointer<UnsafeMutablePointer<AVIOContext>?>?, UnsafePointer<CChar>?, Int32,
        UnsafeMutablePointer<OpaquePointer?>?
    ) -> Int32 = { _, _, _, _, _ in
        cutline_averror(EPERM)
    }
