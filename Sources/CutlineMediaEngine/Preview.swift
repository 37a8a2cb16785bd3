internal import CFFmpeg
public import CutlineCore
public import Foundation

/// What a preview frame is made of: the source frame at `seconds`, with `text` drawn in `style`, in the
/// clips' `shape` and `safeArea`.
public struct PreviewRequest: Sendable {
    public var source: String
    public var seconds: Double
    public var text: String
    public var style: OverlayStyle
    public var shape: OutputShape
    public var safeArea: SafeArea?
    /// Scale the JPEG down to at most this many pixels wide; nil keeps the clip's size.
    public var maxWidth: Int?
    /// What the source may be (frame size, length, streams, how long a read may wait).
    public var limits = SourceLimits.standard

    public init(
        source: String, seconds: Double, text: String, style: OverlayStyle = OverlayStyle(), shape: OutputShape = OutputShape(),
        safeArea: SafeArea? = nil, maxWidth: Int? = nil
    ) {
        self.source = source
        self.seconds = seconds
        self.text = text
        self.style = style
        self.shape = shape
        self.safeArea = safeArea
        self.maxWidth = maxWidth
    }

    /// The request for what clips made for `platform` show.
    public mutating func target(_ platform: Platform) {
        shape = platform.shape
        safeArea = platform.safeArea
    }
}

/// The preview frame, made by the render's own pipeline (`VideoChain`, `TextPainter`, `TextImage`), so
/// it is what the clip will show at that moment, not an imitation.
public enum Preview {
    /// Blocking: decodes from the keyframe before `seconds` to the frame at `seconds`. JPEG bytes.
    /// Reading stops with `.timedOut` or `.cancelled` when `interrupt` says so.
    public static func jpeg(_ request: PreviewRequest, interrupt: MediaInterrupt = MediaInterrupt()) throws(MediaError) -> Data {
        guard request.seconds.isFinite, request.seconds >= 0 else {
            throw MediaError(code: .invalidRequest, operation: "making a preview", message: "the time must be 0 s or later, not \(request.seconds)")
        }
        let demuxer = try Demuxer(path: request.source, limits: request.limits, interrupt: interrupt)
        let info = try MediaProbe.describe(demuxer)
        guard request.seconds < info.duration else {
            throw MediaError(
                code: .invalidRequest, operation: "making a preview", path: request.source,
                message: String(format: "%.2f s is past the end of the video (%.2f s)", request.seconds, info.duration))
        }
        let videoIndex = demuxer.bestStream(AVMEDIA_TYPE_VIDEO)!
        let decoder = try Decoder(demuxer: demuxer, streamIndex: videoIndex)
        demuxer.keepOnly([videoIndex])
        let chain = try VideoChain(decoder: decoder, info: info, shape: request.shape)
        let painter = TextPainter(layout: OverlayLayout(width: chain.width, height: chain.height, style: request.style, safeArea: request.safeArea))
        try demuxer.seek(toSeconds: request.seconds)

        let origin = av_rescale_q(Int64((info.startTime * 1_000_000).rounded()), cutline_av_time_base_q(), decoder.timeBase)
        // The frame shown at `seconds`: the first whose time is past half a frame before it, as the
        // render assigns frames to clips.
        let halfFrame = 0.5 / info.video.frameRate.framesPerSecond
        let target = Int64(((request.seconds - halfFrame) * Double(decoder.timeBase.den) / Double(decoder.timeBase.num)).rounded())
        let packet = try Packet()
        let decoded = try Frame()
        let filtered = try Frame()
        var last: Frame?
        /// Moves filtered frames into `last`; true once it holds the frame at `seconds`.
        func drain() throws(MediaError) -> Bool {
            while try chain.graph.pull(from: chain.sink, into: filtered) == .ready {
                let copy = try Frame()
                av_frame_move_ref(copy.pointer, filtered.pointer)
                last = copy
                if copy.pts >= target { return true }
            }
            return false
        }
        func take() throws(MediaError) -> Bool {
            while try decoder.receive(into: decoded) == .ready {
                let pts = decoded.bestEffortTimestamp
                decoded.pts = pts == cutline_av_nopts_value() ? 0 : pts - origin
                try chain.graph.push(decoded, to: chain.source)
                decoded.unref()
                if try drain() { return true }
            }
            return false
        }
        var found = false
        reading: while !found {
            if let reason = interrupt.reason { throw interrupt.error(reason, path: request.source) }
            switch try demuxer.read(into: packet) {
            case .endOfStream: break reading
            case .needsInput: continue
            case .ready:
                defer { packet.unref() }
                guard packet.streamIndex == videoIndex else { continue }
                while true {
                    let sent = try decoder.send(packet)
                    found = try take()
                    if found || sent != .needsInput { break }
                }
            }
        }
        if !found {
            // Near the end: whatever the decoder and the filters still hold; the last frame is shown.
            _ = try decoder.send(nil)
            if try !take() {
                try chain.graph.push(nil, to: chain.source)
                _ = try drain()
            }
        }
        guard let frame = last else {
            throw MediaError(
                code: .corrupt, operation: "making a preview", path: request.source, message: "no frame could be decoded at \(request.seconds) s")
        }
        let matrix = ColorMatrix(colorspace: frame.pointer.pointee.colorspace, height: Int(frame.pointer.pointee.height))
        if let image = try painter.paint(request.text, matrix: matrix) {
            try check(av_frame_make_writable(frame.pointer), "making the preview frame writable")
            image.blend(into: frame.pointer)
        }
        return try JPEGWriter.encode(frame, maxWidth: request.maxWidth, quality: 2)
    }
}
