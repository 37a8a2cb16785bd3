/// The bounds of a style, a text and a frame, defined once: the API, the CLI and the MediaProcessor all
/// check these, each wording the field its own way (`style.font_size`, `--font-size`).
extension OverlayStyle {
    /// A number of the style, its allowed range, and the rule in words for an error message.
    public struct NumberLimit: Sendable {
        public let range: ClosedRange<Double>
        public let rule: String
        public let keyPath: any WritableKeyPath<OverlayStyle, Double> & Sendable

        public func check(_ value: Double) -> Bool { value.isFinite && range.contains(value) }
    }

    public enum Field: String, Sendable, CaseIterable {
        case fontSize = "font_size"
        case outline, shadow
        case boxPadding = "box_padding"
        case boxRadius = "box_radius"
        case lineSpacing = "line_spacing"

        public var limit: NumberLimit {
            switch self {
            case .fontSize: NumberLimit(range: 0.01...0.3, rule: "a fraction of the frame's shorter side from 0.01 to 0.3", keyPath: \.fontSize)
            case .outline: NumberLimit(range: 0...20, rule: "0 to 20 pixels at 720p", keyPath: \.outline)
            case .shadow: NumberLimit(range: 0...20, rule: "0 to 20 pixels at 720p", keyPath: \.shadow)
            case .boxPadding: NumberLimit(range: 0...2, rule: "0 to 2 (a fraction of the font size)", keyPath: \.boxPadding)
            case .boxRadius: NumberLimit(range: 0...1, rule: "0 to 1 (a fraction of the font size)", keyPath: \.boxRadius)
            case .lineSpacing: NumberLimit(range: 0.8...3, rule: "0.8 to 3 (a multiple of the font's line height)", keyPath: \.lineSpacing)
            }
        }
    }

    /// Characters in one overlay text.
    public static let maximumTextLength = 1000
    /// Characters in a font family name.
    public static let fontFamilyLengths = 1...100

    /// The first of the style's numbers outside its limits, with its value; nil when all are inside.
    public func outOfLimits() -> (field: Field, value: Double)? {
        for field in Field.allCases where !field.limit.check(self[keyPath: field.limit.keyPath]) {
            return (field, self[keyPath: field.limit.keyPath])
        }
        return nil
    }

    /// Whether `name` can be a font family name (the MediaProcessor says whether it is installed).
    public static func isFontFamilyName(_ name: String) -> Bool {
        fontFamilyLengths.contains(name.count) && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// Why `text` cannot be an overlay's text, or nil.
    public static func textProblem(_ text: String) -> String? {
        text.count <= maximumTextLength ? nil : "the text has \(text.count) characters; at most \(maximumTextLength) fit on a clip"
    }
}

extension OutputShape {
    /// Clip heights a person may ask for (even numbers).
    public static let heights = 64...maximumHeight
}
