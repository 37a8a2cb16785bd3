public import CutlineContracts
public import CutlineCore
import Foundation

/// What a person asks of a job, as the API's bodies carry it (snake_case keys come from the coder).
/// Each is checked once, here, into the values the renderer takes.

/// How to cut: `fixed` with `seconds`, or `random` between `min` and `max`, reproduced by `seed`.
public struct CuttingChoice: Codable, Sendable, Hashable {
    public var mode: CuttingKind
    public var seconds: Double?
    public var min: Double?
    public var max: Double?
    public var seed: UInt64?

    public init(mode: CuttingKind, seconds: Double? = nil, min: Double? = nil, max: Double? = nil, seed: UInt64? = nil) {
        self.mode = mode
        self.seconds = seconds
        self.min = min
        self.max = max
        self.seed = seed
    }

    /// The planner's mode, with the seed of a random plan (picked when none is given: JavaScript numbers
    /// hold integers exactly up to 2^53, so seeds stay below it).
    public func cuttingMode() throws(JobFlowError) -> (CuttingMode, seed: UInt64?) {
        switch mode {
        case .fixed:
            guard let seconds else { throw .badRequest("cutting.seconds is missing (fixed cutting needs the clip length in seconds)") }
            return (.fixed(seconds: seconds), nil)
        case .random:
            guard let min, let max else { throw .badRequest("cutting.min and cutting.max are needed for random cutting") }
            let seed = seed ?? UInt64.random(in: 0..<(1 << 53))
            return (.random(min: min, max: max, seed: seed), seed)
        }
    }
}

/// The clips' texts: one (`single`), varied from `base_text` (`vary`), or one each (`unique`, or `vary`
/// with the variations already made).
public struct TextChoice: Codable, Sendable, Hashable {
    public var mode: TextMode
    public var text: String?
    public var baseText: String?
    public var texts: [String]?

    public init(mode: TextMode, text: String? = nil, baseText: String? = nil, texts: [String]? = nil) {
        self.mode = mode
        self.text = text
        self.baseText = baseText
        self.texts = texts
    }

    /// Variations still to be asked of the TextService.
    public var needsVariations: Bool { mode == .vary && texts == nil }

    /// The text of each of `count` clips, and the clips left without one as warnings.
    public func texts(count: Int) throws(JobFlowError) -> (texts: [String], warnings: [JobWarning]) {
        let texts: [String]
        switch mode {
        case .single:
            guard let text else { throw .badRequest("text.text is missing (single mode gives one text for every clip)") }
            texts = Array(repeating: text, count: count)
        case .unique, .vary:
            guard let given = self.texts else { throw .badRequest("text.texts is missing (unique mode gives one text per clip)") }
            guard given.count == count else {
                throw .unprocessable("text_count", "the plan has \(count) clips but text.texts has \(given.count) texts; give one per clip")
            }
            texts = given
        }
        if let long = texts.firstIndex(where: { OverlayStyle.textProblem($0) != nil }) {
            throw .unprocessable(
                "text_too_long",
                "the text of clip \(long + 1) has \(texts[long].count) characters; at most \(OverlayStyle.maximumTextLength) fit on a clip")
        }
        guard mode != .single else { return (texts, []) }
        let empty = texts.indices.filter { texts[$0].trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        return (texts, empty.map { JobWarning(code: "no_text", message: "clip \($0 + 1) has no text, so no overlay", index: $0) })
    }
}

/// The overlay's look; every field optional (the default style's value when absent).
public struct StyleChoice: Codable, Sendable, Hashable {
    public var position: String?
    public var fontSize: Double?
    public var textColor: String?
    public var boxColor: String?
    public var outline: Double?
    public var shadow: Double?
    public var alignment: String?
    public var font: String?
    public var boxPadding: Double?
    public var boxRadius: Double?
    public var lineSpacing: Double?

    public init() {}
}

/// The clips' frame: `aspect` source, 9:16, 1:1, 4:5, 16:9; `fit` crop, blur, pad.
public struct OutputChoice: Codable, Sendable, Hashable {
    public var aspect: String?
    public var fit: String?
    public var focus: Double?
    public var height: Int?

    public init() {}
}

/// Something the person should know before starting: which clip, what, and what to do.
public struct JobWarning: Codable, Sendable, Hashable {
    public let code: String
    public let message: String
    /// The clip it concerns (as in `segments`), when it concerns one.
    public let index: Int?

    public init(code: String, message: String, index: Int?) {
        self.code = code
        self.message = message
        self.index = index
    }
}

/// How the clips look: the style, the frame and the platform, checked once against the limits every
/// door shares (`OverlayStyle`'s).
public struct JobLook: Sendable, Hashable {
    public var style = OverlayStyle()
    public var shape = OutputShape()
    public var platform: Platform?

    public init(style given: StyleChoice?, output: OutputChoice?, platform: String?) throws(JobFlowError) {
        if let platform {
            guard let parsed = Platform(rawValue: platform) else {
                throw .badRequest("platform is \(Self.names(Platform.self)), not \"\(platform)\"")
            }
            self.platform = parsed
        }
        shape = self.platform?.shape ?? OutputShape()
        if let given { try apply(given) }
        if let output { try apply(output) }
    }

    public init(style: OverlayStyle, shape: OutputShape?, platform: Platform?) {
        self.style = style
        self.shape = shape ?? platform?.shape ?? OutputShape()
        self.platform = platform
    }

    static func names<T: CaseIterable & RawRepresentable>(_ type: T.Type) -> String where T.RawValue == String {
        let names = T.allCases.map(\.rawValue)
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    private mutating func apply(_ given: StyleChoice) throws(JobFlowError) {
        if let position = given.position {
            guard let parsed = OverlayStyle.Position(rawValue: position) else {
                throw .badRequest("style.position is \(Self.names(OverlayStyle.Position.self)), not \"\(position)\"")
            }
            style.position = parsed
        }
        let numbers: [(OverlayStyle.Field, Double?)] = [
            (.fontSize, given.fontSize), (.outline, given.outline), (.shadow, given.shadow),
            (.boxPadding, given.boxPadding), (.boxRadius, given.boxRadius), (.lineSpacing, given.lineSpacing),
        ]
        for case (let field, let value?) in numbers {
            guard field.limit.check(value) else { throw .badRequest("style.\(field.rawValue) is \(field.limit.rule), not \(value)") }
            style[keyPath: field.limit.keyPath] = value
        }
        if let alignment = given.alignment {
            guard let parsed = OverlayStyle.Alignment(rawValue: alignment) else {
                throw .badRequest("style.alignment is \(Self.names(OverlayStyle.Alignment.self)), not \"\(alignment)\"")
            }
            style.alignment = parsed
        }
        if let font = given.font {
            // Checked against the MediaProcessor's fonts by the pre-flight (a warning names a missing one).
            guard OverlayStyle.isFontFamilyName(font) else {
                throw .badRequest("style.font is a font family name of 1 to 100 characters, such as \"DejaVu Sans\"")
            }
            style.fontFamily = font
        }
        if let text = given.textColor {
            guard let color = OverlayStyle.Color(hex: text) else { throw .badRequest("style.text_color is #RRGGBB or #RRGGBBAA, not \"\(text)\"") }
            style.textColor = color
        }
        if let box = given.boxColor {
            if box == "none" {
                style.boxColor = nil
            } else {
                guard let color = OverlayStyle.Color(hex: box) else {
                    throw .badRequest("style.box_color is #RRGGBB, #RRGGBBAA or none, not \"\(box)\"")
                }
                style.boxColor = color
            }
        }
    }

    private mutating func apply(_ output: OutputChoice) throws(JobFlowError) {
        if let aspect = output.aspect {
            guard let parsed = OutputShape.Aspect(rawValue: aspect) else {
                throw .badRequest("output.aspect is \(Self.names(OutputShape.Aspect.self)), not \"\(aspect)\"")
            }
            shape.aspect = parsed
        }
        if let fit = output.fit {
            guard let parsed = OutputShape.Fit(rawValue: fit) else {
                throw .badRequest("output.fit is \(Self.names(OutputShape.Fit.self)), not \"\(fit)\"")
            }
            shape.fit = parsed
        }
        if let focus = output.focus {
            guard (0...1).contains(focus) else { throw .badRequest("output.focus is 0 (left/top) to 1 (right/bottom), not \(focus)") }
            shape.focus = focus
        }
        if let height = output.height {
            guard OutputShape.heights.contains(height), height % 2 == 0 else {
                throw .badRequest("output.height is an even number of pixels from 64 to \(OutputShape.maximumHeight), not \(height)")
            }
            shape.height = height
        }
    }

    /// The source's frame as displayed (after rotation), in even pixels.
    public static func displayed(_ probe: ProbeSummary) -> (width: Int, height: Int) {
        let turned = probe.rotation == 90 || probe.rotation == 270
        return ((turned ? probe.height : probe.width) & ~1, (turned ? probe.width : probe.height) & ~1)
    }

    /// The clips' size for the probed source.
    public func size(_ probe: ProbeSummary) -> (width: Int, height: Int) {
        let source = Self.displayed(probe)
        return shape.size(sourceWidth: source.width, sourceHeight: source.height)
    }
}
