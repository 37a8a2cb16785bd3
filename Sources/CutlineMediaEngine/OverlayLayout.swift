import CutlineCore

/// Where the overlay may go on a frame and how large it is: shared by the painter (what the clip shows)
/// and the pre-flight (what the user is told), so both agree.
struct OverlayLayout {
    let width: Int
    let height: Int
    let style: OverlayStyle
    /// The region the text and its box stay inside, in pixels.
    let safe: PixelRect

    init(width: Int, height: Int, style: OverlayStyle, safeArea: SafeArea? = nil) {
        self.width = width
        self.height = height
        self.style = style
        let area = safeArea ?? SafeArea(top: style.margin, bottom: style.margin, left: 0.05, right: 0.05)
        safe = area.rect(width: width, height: height)
    }

    var shorterSide: Double { Double(min(width, height)) }
    var fontPixels: Double { style.fontPixels(width: width, height: height) }
    /// Between the text and the edge of its box (none without a box).
    var padding: Double { style.boxColor != nil ? max(1, style.boxPadding * fontPixels) : 0 }
    var outlinePixels: Double { max(0, style.outline) * shorterSide / 720 }
    var shadowPixels: Double { max(0, style.shadow) * shorterSide / 720 }
    /// Room kept around the text for the box, the outline and the shadow.
    var bleed: Double { padding + outlinePixels + shadowPixels + 1 }
    /// The width lines wrap at.
    var lineWidth: Double { max(1, Double(safe.width) - 2 * bleed) }
}

/// A rectangle in frame pixels.
struct PixelRect: Hashable {
    var left: Int
    var top: Int
    var right: Int
    var bottom: Int
    var width: Int { right - left }
    var height: Int { bottom - top }
}

extension SafeArea {
    func rect(width: Int, height: Int) -> PixelRect {
        let w = Double(width)
        let h = Double(height)
        return PixelRect(
            left: Int((left * w).rounded()), top: Int((top * h).rounded()),
            right: width - Int((right * w).rounded()), bottom: height - Int((bottom * h).rounded())
        )
    }
}
