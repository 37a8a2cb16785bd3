internal import CFFmpeg
import Foundation

/// Encodes single frames as JPEG (FFmpeg's `mjpeg` encoder) for thumbnails and previews. The frame is
/// converted to full-range YUV first, as JPEG viewers expect (a limited-range JPEG looks washed out); the
/// encoder is told the range (`color_range=pc`), so no deprecated `yuvj` format is needed.
enum JPEGWriter {
    /// The JPEG of a yuv420p `frame`, scaled down to at most `maxWidth` pixels wide (never up).
    static func encode(_ frame: Frame, maxWidth: Int? = nil, quality: Int = 3) throws(MediaError) -> Data {
        let width = Int(frame.pointer.pointee.width)
        let height = Int(frame.pointer.pointee.height)
        var outWidth = width
        var outHeight = height
        if let maxWidth, width > maxWidth {
            outWidth = maxWidth & ~1
            outHeight = max(2, Int((Double(height) * Double(outWidth) / Double(width) / 2).rounded()) * 2)
        }
        let graph = try FilterGraph(purpose: "JPEG")
        let source = try graph.add(
            "buffer",
            optionList: [
                ("width", "\(width)"), ("height", "\(height)"), ("pix_fmt", "yuv420p"), ("time_base", "1/25"), ("pixel_aspect", "1/1"),
            ])
        let scale = try graph.add(
            "scale", optionList: [("w", "\(outWidth)"), ("h", "\(outHeight)"), ("in_range", "tv"), ("out_range", "pc"), ("flags", "bicubic")])
        let format = try graph.add("format", optionList: [("pix_fmts", "yuv420p")])
        let sink = try graph.add("buffersink")
        try graph.chain([source, scale, format, sink])
        try graph.configure()

        let input = try Frame()
        try check(av_frame_ref(input.pointer, frame.pointer), "referencing a frame for the JPEG")
        input.pts = 0
        try graph.push(input, to: source)
        try graph.push(nil, to: source)
        let converted = try Frame()
        guard try graph.pull(from: sink, into: converted) == .ready else {
            throw MediaError(code: .ffmpeg, operation: "converting a frame for the JPEG", message: "the filter gave no frame")
        }
        let encoder = try Encoder(
            video: "mjpeg", width: Int32(outWidth), height: Int32(outHeight), pixelFormat: AV_PIX_FMT_YUV420P,
            timeBase: AVRational(num: 1, den: 25), frameRate: AVRational(num: 25, den: 1), sampleAspectRatio: AVRational(num: 1, den: 1),
            // qscale: a fixed quality (2 best … 31 worst) instead of a bit rate.
            options: [("flags", "+qscale"), ("global_quality", "\(quality * 118)"), ("color_range", "pc")], globalHeader: false
        )
        try encoder.send(converted)
        try encoder.send(nil)
        let packet = try Packet()
        guard try encoder.receive(into: packet) == .ready, let bytes = packet.pointer.pointee.data else {
            throw MediaError(code: .ffmpeg, operation: "encoding a JPEG", message: "the encoder gave no picture")
        }
        defer { packet.unref() }
        return Data(bytes: bytes, count: Int(packet.pointer.pointee.size))
    }
}
