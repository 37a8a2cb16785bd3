public import CutlineCore

/// Checks overlay texts before a render: how each wraps, whether it fits the frame, and which characters
/// no installed font can draw (those render as nothing or a box; a missing glyph never fails a job).
public enum TextPreflight {
    public struct Report: Sendable, Hashable, Codable {
        public var text: String
        /// The lines the overlay will show (an empty text gives none).
        public var lines: [String]
        /// Whether all lines fit inside the safe area.
        public var fits: Bool
        /// Characters no installed font has, in order of first appearance.
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

    /// Reports on each text as it would be drawn with `style` on a `width`×`height` frame.
    public static func check(texts: [String], style: OverlayStyle, width: Int, height: Int) -> [Report] {
        let layout = OverlayLayout(width: width, height: height, style: style)
        let fonts = FontFallback(family: style.fontFamily, pixels: layout.fontPixels)
        return texts.map { check($0, layout: layout, fonts: fonts) }
    }

    static func check(_ text: String, layout: OverlayLayout, fonts: FontFallback) -> Report {
        let lines = wrap(text, layout: layout, fonts: fonts)
        var missing: [Unicode.Scalar] = []
        for scalar in text.unicodeScalars where needsGlyph(scalar) && !missing.contains(scalar) {
            if fonts.font(for: scalar) == nil { missing.append(scalar) }
        }
        let textHeight = Double(lines.count) * fonts.lineHeight + 2 * layout.border
        let available = Double(layout.height - 2 * layout.verticalMargin)
        return Report(text: text, lines: lines, fits: lines.isEmpty || textHeight <= available, missingCharacters: missing)
    }

    /// Greedy line breaking at spaces within the layout's line width, measured with the fonts fontconfig
    /// picks per character; a word longer than a line is broken between characters. Explicit line breaks
    /// are kept. The renderer draws exactly these lines.
    static func wrap(_ text: String, layout: OverlayLayout, fonts: FontFallback) -> [String] {
        guard !text.isEmpty else { return [] }
        let limit = layout.lineWidth
        let spaceWidth = fonts.advance(of: " ")
        func width(_ piece: Substring) -> Double {
            piece.unicodeScalars.reduce(0) { $0 + (needsGlyph($1) || $1 == " " ? fonts.advance(of: $1) : 0) }
        }
        var lines: [String] = []
        let paragraphs = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" || $0 == "\u{2028}" || $0 == "\u{2029}" }
        for paragraph in paragraphs {
            var line = ""
            var lineWidth = 0.0
            for word in paragraph.split(whereSeparator: { $0.isWhitespace }) {
                var wordWidth = width(word)
                if !line.isEmpty, lineWidth + spaceWidth + wordWidth <= limit {
                    line += " " + word
                    lineWidth += spaceWidth + wordWidth
                    continue
                }
                if !line.isEmpty {
                    lines.append(line)
                    line = ""
                    lineWidth = 0
                }
                if wordWidth <= limit {
                    line = String(word)
                    lineWidth = wordWidth
                    continue
                }
                // Longer than a line: break between characters (grapheme clusters, so emoji stay whole).
                var rest = word[...]
                while !rest.isEmpty {
                    var piece = ""
                    var pieceWidth = 0.0
                    while let character = rest.first {
                        let characterWidth = width(Substring(String(character)))
                        if !piece.isEmpty, pieceWidth + characterWidth > limit { break }
                        piece.append(character)
                        pieceWidth += characterWidth
                        rest = rest.dropFirst()
                    }
                    if rest.isEmpty {
                        line = piece
                        lineWidth = pieceWidth
                    } else {
                        lines.append(piece)
                    }
                }
                wordWidth = 0
            }
            if !line.isEmpty || paragraph.isEmpty { lines.append(line) }
        }
        // Trailing empty lines draw nothing.
        while lines.last == "" { lines.removeLast() }
        return lines
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
