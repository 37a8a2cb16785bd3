public import ArgumentParser
public import CutlineCore
import CutlineMediaEngine
import Foundation

extension OverlayStyle.Position: ExpressibleByArgument {}
extension OverlayStyle.Alignment: ExpressibleByArgument {}
extension OutputShape.Aspect: ExpressibleByArgument {}
extension OutputShape.Fit: ExpressibleByArgument {}
extension Platform: ExpressibleByArgument {}

/// How the clips look, shared by `render` and `preview` so a preview shows what the render makes.
struct LookOptions: ParsableArguments {
    @Option(help: "Where the text goes: top, center or bottom.")
    var position: OverlayStyle.Position = .bottom

    @Option(help: "Font size as a fraction of the frame's shorter side, 0.01 to 0.3 (at least 24 px).")
    var fontSize: Double = OverlayStyle().fontSize

    @Option(help: "Font family (an installed one; characters it lacks come from other fonts).")
    var font: String = OverlayStyle().fontFamily

    @Option(help: "Text colour, #RRGGBB or #RRGGBBAA.")
    var textColor: String = "#FFFFFF"

    @Option(help: "Box colour behind the text, #RRGGBB or #RRGGBBAA; 'none' for no box.")
    var boxColor: String = "#00000099"

    @Option(help: "Outline width in pixels at 720p (scaled with the frame), 0 to 20; 0 for none.")
    var outline: Double = OverlayStyle().outline

    @Option(help: "Drop-shadow offset in pixels at 720p, 0 to 20; 0 for none.")
    var shadow: Double = 0

    @Option(help: "Space between the text and the edge of its box, as a fraction of the font size (0 to 2).")
    var boxPadding: Double = OverlayStyle().boxPadding

    @Option(help: "The box's corner radius, as a fraction of the font size (0 for square corners, up to 1).")
    var boxRadius: Double = OverlayStyle().boxRadius

    @Option(help: "Line height as a multiple of the font's own (0.8 to 3).")
    var lineSpacing: Double = OverlayStyle().lineSpacing

    @Option(help: "Line alignment: left, center or right.")
    var alignment: OverlayStyle.Alignment = .center

    @Option(help: "Clip shape: source, 9:16, 1:1, 4:5 or 16:9.")
    var aspect: OutputShape.Aspect?

    @Option(help: "How a source of another shape fills the clip: crop, blur or pad.")
    var fit: OutputShape.Fit?

    @Option(help: "With --fit crop: the part kept, 0 (left/top) to 1 (right/bottom).")
    var focus: Double = 0.5

    @Option(help: "Clip height in pixels (even).")
    var height: Int?

    @Option(help: "Make clips for tiktok, reels or shorts: 1080×1920, the platform's safe area and encoder settings.")
    var platform: Platform?

    func overlayStyle() throws -> OverlayStyle {
        guard let color = OverlayStyle.Color(hex: textColor) else {
            throw ValidationError("--text-color wants #RRGGBB or #RRGGBBAA, not \(textColor)")
        }
        var box: OverlayStyle.Color?
        if boxColor.lowercased() != "none" {
            guard let parsed = OverlayStyle.Color(hex: boxColor) else {
                throw ValidationError("--box-color wants #RRGGBB, #RRGGBBAA or none, not \(boxColor)")
            }
            box = parsed
        }
        let style = OverlayStyle(
            position: position, fontSize: fontSize, textColor: color, boxColor: box, outline: outline, shadow: shadow,
            boxPadding: boxPadding, boxRadius: boxRadius, lineSpacing: lineSpacing, alignment: alignment)
        // The limits every door shares (the API's and the MediaProcessor's too).
        if let (field, value) = style.outOfLimits() {
            throw ValidationError("--\(field.rawValue.replacingOccurrences(of: "_", with: "-")) is \(field.limit.rule), not \(value)")
        }
        let families = FontCatalog.families()
        guard let family = families.first(where: { $0.caseInsensitiveCompare(font) == .orderedSame }) else {
            let near = families.filter { $0.localizedCaseInsensitiveContains(font.split(separator: " ").first.map(String.init) ?? font) }.prefix(5)
            throw ValidationError(
                "no installed font family \"\(font)\""
                    + (near.isEmpty ? "; `fc-list : family` lists them" : "; did you mean \(near.map { "\"\($0)\"" }.joined(separator: ", "))?"))
        }
        var chosen = style
        chosen.fontFamily = family
        return chosen
    }

    func outputShape() throws -> OutputShape {
        var shape = platform?.shape ?? OutputShape()
        if let aspect { shape.aspect = aspect }
        if let fit { shape.fit = fit }
        guard (0...1).contains(focus) else { throw ValidationError("--focus is 0 to 1, not \(focus)") }
        shape.focus = focus
        if let height {
            guard OutputShape.heights.contains(height), height % 2 == 0 else {
                throw ValidationError("--height is an even number of pixels from 64 to \(OutputShape.maximumHeight), not \(height)")
            }
            shape.height = height
        }
        return shape
    }
}
