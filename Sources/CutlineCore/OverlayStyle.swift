/// How a clip's overlay text looks. Sizes are fractions of the frame so one style fits every resolution.
/// It lives in the core module because the Gateway stores it in the job's params and previews with it.
public struct OverlayStyle: Sendable, Hashable, Codable {
    public enum Position: String, Sendable, Hashable, Codable, CaseIterable {
        case top, center, bottom
    }

    /// How lines sit against each other; for right-to-left paragraphs `left` and `right` swap (start/end).
    public enum Alignment: String, Sendable, Hashable, Codable, CaseIterable {
        case left, center, right
    }

    public var position: Position
    /// Font size as a fraction of the frame's shorter side (0.06 is 43 px at 720p, 65 px on a 1080×1920
    /// vertical clip), never under `minimumFontPixels`: legible on a phone at every output size.
    public var fontSize: Double
    public var textColor: Color
    /// A box behind each line, or nil for none.
    public var boxColor: Color?
    /// Outline width in pixels at 720p (scaled with the frame's shorter side); 0 for none.
    public var outline: Double
    public var outlineColor: Color
    /// Drop-shadow offset in pixels at 720p (scaled like the outline); 0 for none.
    public var shadow: Double
    public var shadowColor: Color
    /// Space between the text and the edge of its box, as a fraction of the font size.
    public var boxPadding: Double
    /// The box's corner radius, as a fraction of the font size.
    public var boxRadius: Double
    /// Line height as a multiple of the font's own (1 is the font's spacing).
    public var lineSpacing: Double
    public var alignment: Alignment
    /// Distance from the top/bottom edge as a fraction of the frame height, when no platform safe area
    /// applies.
    public var margin: Double
    /// The preferred font family; characters it lacks fall back per glyph to any installed font.
    public var fontFamily: String

    /// The smallest font size drawn, in pixels (on frames at least 192 pixels on their shorter side).
    public static let minimumFontPixels = 24.0

    public init(
        position: Position = .bottom,
        fontSize: Double = 0.06,
        textColor: Color = .white,
        boxColor: Color? = Color(red: 0, green: 0, blue: 0, opacity: 0.6),
        outline: Double = 2,
        outlineColor: Color = .black,
        shadow: Double = 0,
        shadowColor: Color = Color(red: 0, green: 0, blue: 0, opacity: 0.5),
        boxPadding: Double = 0.3,
        boxRadius: Double = 0.25,
        lineSpacing: Double = 1,
        alignment: Alignment = .center,
        margin: Double = 0.08,
        fontFamily: String = "DejaVu Sans"
    ) {
        self.position = position
        self.fontSize = fontSize
        self.textColor = textColor
        self.boxColor = boxColor
        self.outline = outline
        self.outlineColor = outlineColor
        self.shadow = shadow
        self.shadowColor = shadowColor
        self.boxPadding = boxPadding
        self.boxRadius = boxRadius
        self.lineSpacing = lineSpacing
        self.alignment = alignment
        self.margin = margin
        self.fontFamily = fontFamily
    }

    /// The font size in pixels on a `width`×`height` frame.
    public func fontPixels(width: Int, height: Int) -> Double {
        let shorter = Double(min(width, height))
        return max(fontSize * shorter, min(Self.minimumFontPixels, shorter / 8), 4)
    }

    enum CodingKeys: String, CodingKey {
        case position, fontSize, textColor, boxColor, outline, outlineColor, shadow, shadowColor, boxPadding, boxRadius, lineSpacing, alignment,
            margin, fontFamily
    }

    /// Fields added later are optional, so a job stored before them still decodes (with the defaults).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = OverlayStyle()
        position = try c.decodeIfPresent(Position.self, forKey: .position) ?? d.position
        fontSize = try c.decodeIfPresent(Double.self, forKey: .fontSize) ?? d.fontSize
        textColor = try c.decodeIfPresent(Color.self, forKey: .textColor) ?? d.textColor
        boxColor = try c.decodeIfPresent(Color.self, forKey: .boxColor)  // absent: no box, as always encoded
        outline = try c.decodeIfPresent(Double.self, forKey: .outline) ?? d.outline
        outlineColor = try c.decodeIfPresent(Color.self, forKey: .outlineColor) ?? d.outlineColor
        shadow = try c.decodeIfPresent(Double.self, forKey: .shadow) ?? d.shadow
        shadowColor = try c.decodeIfPresent(Color.self, forKey: .shadowColor) ?? d.shadowColor
        boxPadding = try c.decodeIfPresent(Double.self, forKey: .boxPadding) ?? d.boxPadding
        boxRadius = try c.decodeIfPresent(Double.self, forKey: .boxRadius) ?? d.boxRadius
        lineSpacing = try c.decodeIfPresent(Double.self, forKey: .lineSpacing) ?? d.lineSpacing
        alignment = try c.decodeIfPresent(Alignment.self, forKey: .alignment) ?? d.alignment
        margin = try c.decodeIfPresent(Double.self, forKey: .margin) ?? d.margin
        fontFamily = try c.decodeIfPresent(String.self, forKey: .fontFamily) ?? d.fontFamily
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(position, forKey: .position)
        try c.encode(fontSize, forKey: .fontSize)
        try c.encode(textColor, forKey: .textColor)
        try c.encodeIfPresent(boxColor, forKey: .boxColor)
        try c.encode(outline, forKey: .outline)
        try c.encode(outlineColor, forKey: .outlineColor)
        try c.encode(shadow, forKey: .shadow)
        try c.encode(shadowColor, forKey: .shadowColor)
        try c.encode(boxPadding, forKey: .boxPadding)
        try c.encode(boxRadius, forKey: .boxRadius)
        try c.encode(lineSpacing, forKey: .lineSpacing)
        try c.encode(alignment, forKey: .alignment)
        try c.encode(margin, forKey: .margin)
        try c.encode(fontFamily, forKey: .fontFamily)
    }

    /// An sRGB colour with opacity 0 (invisible) … 1 (opaque).
    public struct Color: Sendable, Hashable, Codable {
        public var red: UInt8
        public var green: UInt8
        public var blue: UInt8
        public var opacity: Double

        public init(red: UInt8, green: UInt8, blue: UInt8, opacity: Double = 1) {
            self.red = red
            self.green = green
            self.blue = blue
            self.opacity = opacity
        }

        public static let white = Color(red: 255, green: 255, blue: 255)
        public static let black = Color(red: 0, green: 0, blue: 0)

        /// Parses `#RRGGBB` or `#RRGGBBAA` (the `#` is optional).
        public init?(hex: String) {
            var text = Substring(hex)
            if text.hasPrefix("#") { text = text.dropFirst() }
            guard text.count == 6 || text.count == 8, let value = UInt32(text, radix: 16) else { return nil }
            if text.count == 6 {
                self.init(red: UInt8(value >> 16 & 0xFF), green: UInt8(value >> 8 & 0xFF), blue: UInt8(value & 0xFF))
            } else {
                self.init(
                    red: UInt8(value >> 24 & 0xFF), green: UInt8(value >> 16 & 0xFF), blue: UInt8(value >> 8 & 0xFF),
                    opacity: Double(value & 0xFF) / 255
                )
            }
        }
    }
}
