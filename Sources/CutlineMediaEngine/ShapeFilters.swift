import CutlineCore
import Foundation

/// The filters that give the clips their shape (`OutputShape`): scale to cover and crop, scale to fit and
/// pad, or the frame fitted over a blurred, enlarged copy of itself. Built through the API like every
/// filter here (no filter string is parsed).
extension FilterGraph {
    /// Appends the shape's filters after `input` (an upright, even-sized `width`×`height` picture) and
    /// returns the last node; the output is `shape.size(...)` with square pixels.
    func addShape(_ shape: OutputShape, after input: Node, width: Int, height: Int) throws(MediaError) -> Node {
        let (outWidth, outHeight) = shape.size(sourceWidth: width, sourceHeight: height)
        if outWidth == width && outHeight == height { return input }
        let w = Double(width)
        let h = Double(height)
        let fit = min(Double(outWidth) / w, Double(outHeight) / h)

        func scaled(_ node: Node, _ scaledWidth: Int, _ scaledHeight: Int, flags: String = "bicubic") throws(MediaError) -> Node {
            let scale = try add("scale", optionList: [("w", "\(scaledWidth)"), ("h", "\(scaledHeight)"), ("flags", flags)])
            try link(node, scale)
            return scale
        }
        func cropped(_ node: Node, _ cropWidth: Int, _ cropHeight: Int, x: Int, y: Int) throws(MediaError) -> Node {
            let crop = try add("crop", optionList: [("w", "\(cropWidth)"), ("h", "\(cropHeight)"), ("x", "\(x)"), ("y", "\(y)"), ("exact", "1")])
            try link(node, crop)
            return crop
        }
        /// Scaled to cover `targetWidth`×`targetHeight` and cropped to it, keeping the part `focus` says.
        func covering(_ node: Node, _ targetWidth: Int, _ targetHeight: Int, focus: Double) throws(MediaError) -> Node {
            let scale = max(Double(targetWidth) / w, Double(targetHeight) / h)
            let coverWidth = max(targetWidth, even(w * scale, up: true))
            let coverHeight = max(targetHeight, even(h * scale, up: true))
            let x = Int((Double(coverWidth - targetWidth) * focus).rounded()) & ~1
            let y = Int((Double(coverHeight - targetHeight) * focus).rounded()) & ~1
            return try cropped(try scaled(node, coverWidth, coverHeight), targetWidth, targetHeight, x: x, y: y)
        }

        var last: Node
        switch shape.fit {
        case .crop:
            last = try covering(input, outWidth, outHeight, focus: min(1, max(0, shape.focus)))
        case .pad:
            let fitWidth = min(outWidth, even(w * fit))
            let fitHeight = min(outHeight, even(h * fit))
            let pad = try add(
                "pad",
                optionList: [
                    ("w", "\(outWidth)"), ("h", "\(outHeight)"),
                    ("x", "\(((outWidth - fitWidth) / 2) & ~1)"), ("y", "\(((outHeight - fitHeight) / 2) & ~1)"),
                    ("color", String(format: "0x%02X%02X%02X", shape.padColor.red, shape.padColor.green, shape.padColor.blue)),
                ])
            try link(try scaled(input, fitWidth, fitHeight), pad)
            last = pad
        case .blur:
            // The background is blurred at a quarter of the size and scaled back up: the same look as a
            // full-size blur at a sixteenth of the cost.
            let split = try add("split", optionList: [("outputs", "2")])
            try link(input, split)
            let smallWidth = even(Double(outWidth) / 4)
            let smallHeight = even(Double(outHeight) / 4)
            let small = try covering(split, smallWidth, smallHeight, focus: 0.5)
            let radius = max(2, min(smallWidth, smallHeight) / 12)
            let blur = try add(
                "boxblur",
                optionList: [("luma_radius", "\(radius)"), ("luma_power", "2"), ("chroma_radius", "\(max(1, radius / 2))"), ("chroma_power", "2")])
            try link(small, blur)
            let background = try scaled(blur, outWidth, outHeight, flags: "bilinear")
            let fitWidth = min(outWidth, even(w * fit))
            let fitHeight = min(outHeight, even(h * fit))
            let foreground = try add("scale", optionList: [("w", "\(fitWidth)"), ("h", "\(fitHeight)"), ("flags", "bicubic")])
            try link(split, foreground, fromPad: 1)
            let overlay = try add(
                "overlay",
                optionList: [
                    ("x", "\(((outWidth - fitWidth) / 2) & ~1)"), ("y", "\(((outHeight - fitHeight) / 2) & ~1)"), ("format", "yuv420"),
                ])
            try link(background, overlay, toPad: 0)
            try link(foreground, overlay, toPad: 1)
            last = overlay
        }
        let square = try add("setsar", optionList: [("r", "1")])
        try link(last, square)
        return square
    }
}

private func even(_ value: Double, up: Bool = false) -> Int {
    max(2, Int(up ? (value / 2).rounded(.up) : (value / 2).rounded()) * 2)
}
