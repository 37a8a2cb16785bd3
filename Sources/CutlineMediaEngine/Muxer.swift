internal import CFFmpeg

/// Owns an output `AVFormatContext` and its file. `finish()` writes the trailer and closes the file;
/// without it (an error or a cancel) `deinit` only closes and frees, and the caller deletes the file.
final class Muxer {
    private var context: UnsafeMutablePointer<AVFormatContext>?
    private var timeBases: [AVRational] = []
    private var headerWritten = false
    private var finished = false
    let path: String

    init(path: String, format: String = "mp4") throws(MediaError) {
        self.path = path
        var context: UnsafeMutablePointer<AVFormatContext>?
        try check(avformat_alloc_output_context2(&context, nil, format, path), "creating the output", path: path)
        self.context = context
        try check(avio_open(&context!.pointee.pb, path, AVIO_FLAG_WRITE), "opening the output", path: path, code: .unreadable)
    }

    deinit {
        if let context {
            if !finished { avio_closep(&context.pointee.pb) }
            avformat_free_context(context)
        }
    }

    private var formatContext: UnsafeMutablePointer<AVFormatContext> { context! }

    /// Whether the container wants codec headers out of band (MP4 does).
    var wantsGlobalHeader: Bool { (formatContext.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER) != 0 }

    /// Adds a stream fed by `encoder`; returns its index.
    func addStream(for encoder: Encoder) throws(MediaError) -> Int {
        guard let stream = avformat_new_stream(formatContext, nil) else {
            throw MediaError(code: .ffmpeg, operation: "adding an output stream", path: path, message: "out of memory")
        }
        try encoder.copyParameters(to: stream.pointee.codecpar)
        stream.pointee.time_base = encoder.timeBase
        timeBases.append(encoder.timeBase)
        return Int(stream.pointee.index)
    }

    /// Writes the header; `faststart` moves the index to the front so a player can start before the end.
    func writeHeader(faststart: Bool) throws(MediaError) {
        var options: OpaquePointer?
        defer { av_dict_free(&options) }
        if faststart { av_dict_set(&options, "movflags", "+faststart", 0) }
        try check(avformat_write_header(formatContext, &options), "writing the header", path: path)
        headerWritten = true
    }

    /// Writes a packet of stream `index` whose timestamps are in that stream's encoder time base.
    func write(_ packet: Packet, stream index: Int) throws(MediaError) {
        packet.pointer.pointee.stream_index = Int32(index)
        av_packet_rescale_ts(packet.pointer, timeBases[index], formatContext.pointee.streams[index]!.pointee.time_base)
        // Takes the packet's reference (leaves it blank) whether or not it succeeds.
        try check(av_interleaved_write_frame(formatContext, packet.pointer), "writing a packet", path: path)
    }

    /// Flushes the interleaving queue, writes the trailer (the MP4 index) and closes the file.
    func finish() throws(MediaError) {
        precondition(headerWritten && !finished)
        try check(av_write_trailer(formatContext), "writing the trailer", path: path)
        finished = true
        try check(avio_closep(&formatContext.pointee.pb), "closing the output", path: path)
    }
}
