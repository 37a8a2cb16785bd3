/// The part of the frame the overlay text stays inside, as fractions of the frame's width (left, right)
/// and height (top, bottom) kept clear from each edge.
public struct SafeArea: Sendable, Hashable, Codable {
    public var top: Double
    public var bottom: Double
    public var left: Double
    public var right: Double

    public init(top: Double, bottom: Double, left: Double, right: Double) {
        self.top = top
        self.bottom = bottom
        self.left = left
        self.right = right
    }
}

/// The clips' frame: its shape, how the source fills it, and its size.
public struct OutputShape: Sendable, Hashable, Codable {
    /// Width : height of the clips, or the source's own.
    public enum Aspect: String, Sendable, Hashable, Codable, CaseIterable {
        case source
        case vertical = "9:16"
        case square = "1:1"
        case portrait = "4:5"
        case landscape = "16:9"

        /// Width over height, nil for the source's.
        public var ratio: (width: Int, height: Int)? {
            switch self {
            case .source: nil
            case .vertical: (9, 16)
            case .square: (1, 1)
            case .portrait: (4, 5)
            case .landscape: (16, 9)
            }
        }
    }

    /// How a source of another shape fills the frame.
    public enum Fit: String, Sendable, Hashable, Codable, CaseIterable {
        /// Scaled to cover the frame; what sticks out is cut off (see `focus`).
        case crop
        /// Scaled to fit inside the frame, over a blurred, enlarged copy of itself.
        case blur
        /// Scaled to fit inside the frame, on a plain colour.
        case pad
    }

    public var aspect: Aspect
    public var fit: Fit
    /// With `crop`: which part of the source stays, 0 (left or top edge) … 1 (right or bottom), 0.5 centre.
    public var focus: Double
    /// With `pad`: the colour around the picture.
    public var padColor: OverlayStyle.Color
    /// The clips' height in pixels (even); nil keeps the source's height (or, with an aspect, the height
    /// that keeps the source's resolution along its shorter side, at most 1920).
    public var height: Int?

    public init(aspect: Aspect = .source, fit: Fit = .crop, focus: Double = 0.5, padColor: OverlayStyle.Color = .black, height: Int? = nil) {
        self.aspect = aspect
        self.fit = fit
        self.focus = focus
        self.padColor = padColor
        self.height = height
    }

    enum CodingKeys: String, CodingKey { case aspect, fit, focus, padColor, height }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        aspect = try c.decodeIfPresent(Aspect.self, forKey: .aspect) ?? .source
        fit = try c.decodeIfPresent(Fit.self, forKey: .fit) ?? .crop
        focus = try c.decodeIfPresent(Double.self, forKey: .focus) ?? 0.5
        padColor = try c.decodeIfPresent(OverlayStyle.Color.self, forKey: .padColor) ?? .black
        height = try c.decodeIfPresent(Int.self, forKey: .height)
    }

    /// The clips' size for a source displayed at `sourceWidth`×`sourceHeight` (both even).
    public func size(sourceWidth: Int, sourceHeight: Int) -> (width: Int, height: Int) {
        let even = { (value: Double) in max(2, Int((value / 2).rounded()) * 2) }
        guard let ratio = aspect.ratio else {
            guard let height, height != sourceHeight, sourceHeight > 0 else { return (sourceWidth & ~1, sourceHeight & ~1) }
            return (even(Double(sourceWidth) * Double(height) / Double(sourceHeight)), even(Double(height)))
        }
        let outHeight: Double
        if let height {
            outHeight = Double(height)
        } else {
            // Keep the source's detail along the frame's shorter side, within 1920 on the longer one.
            let shorter = Double(min(sourceWidth, sourceHeight))
            let longerOverShorter = Double(max(ratio.width, ratio.height)) / Double(min(ratio.width, ratio.height))
            let scale = min(1, 1920 / (shorter * longerOverShorter))
            outHeight = ratio.height >= ratio.width ? shorter * longerOverShorter * scale : shorter * scale
        }
        return (even(outHeight * Double(ratio.width) / Double(ratio.height)), even(outHeight))
    }

    public static let maximumHeight = 4320
}

/// A short-form platform's output: 1080×1920 9:16, its encoder constraints, its longest clip and the
/// part of the frame its interface leaves clear (see docs/media.md for the figures' sources).
public enum Platform: String, Sendable, Hashable, Codable, CaseIterable {
    case tiktok, reels, shorts

    public var name: String {
        switch self {
        case .tiktok: "TikTok"
        case .reels: "Instagram Reels"
        case .shorts: "YouTube Shorts"
        }
    }

    public var shape: OutputShape { OutputShape(aspect: .vertical, fit: .blur, height: 1920) }

    /// The longest clip the platform takes, in seconds.
    public var longestClip: Double {
        switch self {
        case .tiktok: 600
        case .reels: 180
        case .shorts: 180
        }
    }

    /// On 1080×1920: TikTok's caution areas (top 250 px, bottom 420 px, right 170 px; 60 px on the left);
    /// Reels keeps the top 14 %, the bottom 35 % and 6 % on each side clear; Shorts covers about the
    /// bottom 25 % and a right-hand rail of buttons (about 15 %), with the title bar at the top (10 %).
    public var safeArea: SafeArea {
        switch self {
        case .tiktok: SafeArea(top: 250.0 / 1920, bottom: 420.0 / 1920, left: 60.0 / 1080, right: 170.0 / 1080)
        case .reels: SafeArea(top: 0.14, bottom: 0.35, left: 0.06, right: 0.06)
        case .shorts: SafeArea(top: 0.10, bottom: 0.25, left: 0.06, right: 0.15)
        }
    }
}
