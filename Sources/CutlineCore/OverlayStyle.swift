/// How a clip's overlay text looks. Sizes are fractions of the frame so one style fits every resolution.
/// It lives in the core module because the Gateway stores it in the job's params and previews with it.
public struct OverlayStyle: Sendable, Hashable, Codable {
    public enum Position: String, Sendable, Hashable, Codable, CaseIterable {
        case top, center, bottom
    }

    public var position: Position
    /// Font size as a fraction of the frame height (0.05 is 36 px at 720p).
    public var fontSize: Double
    public var textColor: Color
    /// A box behind the text, or nil for none.
    public var boxColor: Color?
    /// Outline width in pixels at 720p (scaled with the frame); 0 for none. Ignored when a box is drawn.
    public var outline: Double
    public var outlineColor: Color
    /// Distance from the top/bottom edge as a fraction of the frame height: the safe area.
    public var margin: Double
    /// The preferred font family; characters it lacks fall back per glyph to any installed font.
    public var fontFamily: String

    public init(
        position: Position = .bottom,
        fontSize: Double = 0.05,
        textColor: Color = .white,
        boxColor: Color? = Color(red: 0, green: 0, blue: 0, opacity: 0.6),
        outline: Double = 2,
        outlineColor: Color = .black,
        margin: Double = 0.08,
        fontFamily: String = "DejaVu Sans"
    ) {
        self.position = position
        self.fontSize = fontSize
        self.textColor = textColor
        self.boxColor = boxColor
        self.outline = outline
        self.outlineColor = outlineColor
        self.margin = margin
        self.fontFamily = fontFamily
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
