import CutlineCore
import Foundation

/// Builds the ASS subtitle document that the `ass` filter (libass) draws: one style from `OverlayStyle`
/// and one timed event per segment with text. libass wraps, shapes (HarfBuzz, FriBidi for Arabic and
/// Hebrew) and falls back per glyph through fontconfig, which `drawtext` does not (see docs/media.md).
struct SubtitleDocument {
    let layout: OverlayLayout
    var style: OverlayStyle { layout.style }

    /// One event per segment with text; `lines` are the pre-flight's wrapped lines, joined with ASS hard
    /// breaks so the frame shows what the pre-flight reported.
    func render(events: [(start: Double, end: Double, lines: [String])]) -> String {
        var lines: [String] = [
            "[Script Info]",
            "; Written by Cutline for libavfilter's ass filter.",
            "ScriptType: v4.00+",
            "PlayResX: \(layout.width)",
            "PlayResY: \(layout.height)",
            // Lines arrive wrapped; 0 (smart wrapping) only acts if libass measures a line wider than the
            // pre-flight did, so nothing can run off the frame.
            "WrapStyle: 0",
            "ScaledBorderAndShadow: yes",
            "",
            "[V4+ Styles]",
            "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
            "Style: \(styleLine)",
            "",
            "[Events]",
            "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
        ]
        for event in events where !event.lines.isEmpty {
            let text = event.lines.map(Self.escape).joined(separator: "\\N")
            lines.append("Dialogue: 0,\(Self.timestamp(event.start)),\(Self.timestamp(event.end)),Cutline,,0,0,0,,\(text)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private var styleLine: String {
        let borderStyle: Int
        let borderColor: OverlayStyle.Color
        if let box = style.boxColor {
            // BorderStyle 3 is libass's opaque box, painted in OutlineColour; Outline is its padding.
            borderStyle = 3
            borderColor = box
        } else {
            borderStyle = 1
            borderColor = style.outlineColor
        }
        let alignment: Int
        switch style.position {
        case .top: alignment = 8
        case .center: alignment = 5
        case .bottom: alignment = 2
        }
        let fields: [String] = [
            "Cutline", Self.fieldSafe(style.fontFamily), Self.number(layout.fontPixels),
            Self.color(style.textColor), Self.color(style.textColor), Self.color(borderColor), Self.color(borderColor),
            "0", "0", "0", "0", "100", "100", "0", "0", "\(borderStyle)", Self.number(layout.border), "0",
            "\(alignment)", "\(layout.sideMargin)", "\(layout.sideMargin)", "\(layout.verticalMargin)", "1",
        ]
        return fields.joined(separator: ",")
    }

    /// `&HAABBGGRR`, where AA is transparency (00 opaque), as ASS writes colours.
    static func color(_ color: OverlayStyle.Color) -> String {
        let alpha = UInt8((255 * (1 - min(1, max(0, color.opacity)))).rounded())
        return "&H" + [alpha, color.blue, color.green, color.red].map { hex2($0) }.joined()
    }

    private static func hex2(_ value: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(value >> 4)], digits[Int(value & 0xF)]])
    }

    private static func number(_ value: Double) -> String {
        String(format: "%.2f", value)
    }

    /// A font name goes into a comma-separated style line: commas and line breaks would end the field.
    private static func fieldSafe(_ text: String) -> String {
        String(text.map { $0 == "," || $0.isNewline ? " " : $0 })
    }

    /// `H:MM:SS.cc`, ASS's centisecond timestamps.
    static func timestamp(_ seconds: Double) -> String {
        let centis = max(0, Int((seconds * 100).rounded()))
        return String(format: "%d:%02d:%02d.%02d", centis / 360_000, centis / 6000 % 60, centis / 100 % 60, centis % 100)
    }

    /// Makes user text literal for libass: `{` would open an override block and `\` start a tag or an
    /// escape (`\N`, `\h`). libass reads `\{` and `\}` as literal braces; a backslash is followed by a
    /// WORD JOINER (U+2060, invisible and zero-width) so that no letter after it forms an escape. Line
    /// breaks become `\N`, ASS's hard break; other control characters become spaces.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            defer { previousWasCR = scalar == "\r" }
            switch scalar {
            case "\\": out += "\\\u{2060}"
            case "{": out += "\\{"
            case "}": out += "\\}"
            case "\r": out += "\\N"
            case "\n": if !previousWasCR { out += "\\N" }
            case "\u{2028}", "\u{2029}", "\u{85}": out += "\\N"
            default:
                if scalar.properties.generalCategory == .control {
                    out += " "
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
