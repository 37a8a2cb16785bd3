internal import CFFmpeg

/// Owns an input `AVFormatContext`: opens a file, finds its streams, reads packets in file order.
final class Demuxer {
    private var context: UnsafeMutablePointer<AVFormatContext>?
    let path: String

    init(path: String) throws(MediaError) {
        self.path = path
        var context: UnsafeMutablePointer<AVFormatContext>?
        let opened = avformat_open_input(&context, path, nil, nil)
        if opened < 0 {
            // ENOENT/EACCES/EIO mean the file itself; anything else means FFmpeg could not read it as media.
            let ioErrors = [ENOENT, EACCES, EISDIR, EIO].map { cutline_averror($0) }
            throw MediaError.ffmpeg(opened, "opening input", path: path, code: ioErrors.contains(opened) ? .unreadable : .notMedia)
        }
        self.context = context
        let found = avformat_find_stream_info(context, nil)
        if found < 0 {
            throw MediaError.ffmpeg(found, "reading stream info", path: path, code: .corrupt)
        }
    }

    deinit {
        avformat_close_input(&context)
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
        try check(status, "seeking to \(seconds) s", path: path, code: .corrupt)
    }

    /// Reads the next packet into `packet`; `.endOfStream` at the end of the file.
    func read(into packet: Packet) throws(MediaError) -> StepResult {
        let status = av_read_frame(formatContext, packet.pointer)
        if status == cutline_averror_eof() { return .endOfStream }
        if status == cutline_averror_eagain() { return .needsInput }
        try check(status, "reading a packet", path: path, code: .corrupt)
        return .ready
    }
}
