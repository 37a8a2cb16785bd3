public import CutlineCore

/// Checks overlay texts before a render: how each wraps, whether it fits the safe area, and which
/// characters the renderer would draw as a box because no installed font has them (a missing glyph never
/// fails a job).
public enum TextPreflight {
    public struct Report: Sendable, Hashable, Codable {
        public var text: String
        /// The lines the overlay will show (an empty text gives none).
        public var lines: [String]
        /// Whether all lines fit inside the safe area.
        public var fits: Bool
        /// Characters drawn as boxes (no installed font has them), in order of first appearance.
        public var missingCharacters: [Unicode.Scalar]

        enum CodingKeys: String, CodingKey { case text, lines, fits, missingCharacters }

        public init(text: String, lines: [String], fits: Bool, missingCharacters: [Unicode.Scalar]) {
            self.text = text
            self.lines = lines
            self.fits = fits
            self.missingCharacters = missingCharacters
        }

        public init(from decoder: any Swift.Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            text = try container.decode(String.self, forKey: .text)
            lines = try container.decode([String].self, forKey: .lines)
            fits = try container.decode(Bool.self, forKey: .fits)
            missingCharacters = try container.decode([UInt32].self, forKey: .missingCharacters).compactMap(Unicode.Scalar.init)
        }

        public func encode(to encoder: any Swift.Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(text, forKey: .text)
            try container.encode(lines, forKey: .lines)
            try container.encode(fits, forKey: .fits)
            try container.encode(missingCharacters.map(\.value), forKey: .missingCharacters)
        }
    }

    /// Reports on each text as it would be drawn with `style` on a `width`×`height` frame, inside
    /// `safeArea` (a platform's) or the style's margins. The renderer draws with the same layout, so
    /// what this reports is what the clip shows.
    public static func check(texts: [String], style: OverlayStyle, width: Int, height: Int, safeArea: SafeArea? = nil) -> [Report] {
        let painter = TextPainter(layout: OverlayLayout(width: width, height: height, style: style, safeArea: safeArea))
        return texts.map { painter.measure($0) }
    }

    /// Characters that need a glyph: not spaces, controls, format characters (joiners, bidi marks) or
    /// variation selectors, which fonts need not contain.
    static func needsGlyph(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator: return false
        default: break
        }
        if (0xFE00...0xFE0F).contains(scalar.value) || (0xE0100...0xE01EF).contains(scalar.value) { return false }
        return true
    }
}
