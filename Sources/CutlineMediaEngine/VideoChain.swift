internal import CFFmpeg
import CutlineCore

/// The video filter graph shared by the render and the preview, so a preview frame is made exactly as
/// the clips are: source → upright → even size → output shape → yuv420p → sink.
struct VideoChain {
    let graph: FilterGraph
    let source: FilterGraph.Node
    let sink: FilterGraph.Node
    /// The output frame's size.
    let width: Int
    let height: Int

    init(decoder: Decoder, info: MediaInfo, shape: OutputShape) throws(MediaError) {
        let graph = try FilterGraph(purpose: "video")
        let rate = info.video.frameRate
        let timeBase = decoder.timeBase
        var sar = decoder.sampleAspectRatio
        if sar.num <= 0 || sar.den <= 0 { sar = AVRational(num: 1, den: 1) }
        let pixelFormatName = av_get_pix_fmt_name(decoder.pixelFormat).map { String(cString: $0) } ?? "yuv420p"
        var chain: [FilterGraph.Node] = []
        source = try graph.add(
            "buffer",
            optionList: [
                ("width", "\(decoder.width)"), ("height", "\(decoder.height)"), ("pix_fmt", pixelFormatName),
                ("time_base", "\(timeBase.num)/\(timeBase.den)"), ("pixel_aspect", "\(sar.num)/\(sar.den)"),
                ("frame_rate", "\(rate.numerator)/\(rate.denominator)"),
            ])
        chain.append(source)
        // The decoder does not apply the display matrix; turn the picture as the ffmpeg CLI's autorotate
        // does, and write no matrix, so every player shows the clip upright.
        switch info.video.rotation {
        case 90: chain.append(try graph.add("transpose", options: ["dir": "clock"]))
        case 180:
            chain.append(try graph.add("hflip"))
            chain.append(try graph.add("vflip"))
        case 270: chain.append(try graph.add("transpose", options: ["dir": "cclock"]))
        default: break
        }
        // 4:2:0 needs even dimensions; drop the odd last row/column rather than scale the whole picture.
        let uprightWidth = info.video.displayWidth & ~1
        let uprightHeight = info.video.displayHeight & ~1
        if uprightWidth != info.video.displayWidth || uprightHeight != info.video.displayHeight {
            chain.append(try graph.add("crop", optionList: [("w", "\(uprightWidth)"), ("h", "\(uprightHeight)"), ("x", "0"), ("y", "0")]))
        }
        try graph.chain(chain)
        let shaped = try graph.addShape(shape, after: chain.last!, width: uprightWidth, height: uprightHeight)
        (width, height) = shape.size(sourceWidth: uprightWidth, sourceHeight: uprightHeight)
        let format = try graph.add("format", options: ["pix_fmts": "yuv420p"])
        sink = try graph.add("buffersink")
        try graph.link(shaped, format)
        try graph.link(format, sink)
        try graph.configure()
        self.graph = graph
    }
}
