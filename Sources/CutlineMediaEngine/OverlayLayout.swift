import CutlineCore

/// Where and how large the overlay is on a frame: shared by the subtitle document (what libass draws)
/// and the pre-flight (what the user is told), so both agree.
struct OverlayLayout {
    let width: Int
    let height: Int
    let style: OverlayStyle

    var fontPixels: Double { max(8, style.fontSize * Double(height)) }
    /// Box padding, or outline width when there is no box.
    var border: Double {
        style.boxColor != nil ? max(1, fontPixels * 0.25) : style.outline * Double(height) / 720
    }
    /// Left and right margin: the text and its box stay inside the middle 90% of the width.
    var sideMargin: Int { Int((Double(width) * 0.05).rounded()) + Int(border.rounded()) }
    /// Distance from the top or bottom edge, box included: the safe area.
    var verticalMargin: Int { Int((style.margin * Double(height) + (style.boxColor != nil ? border : 0)).rounded()) }
    var lineWidth: Double { Double(width - 2 * sideMargin) }
}
