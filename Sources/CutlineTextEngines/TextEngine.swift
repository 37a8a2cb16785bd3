public import CutlineContracts
import Foundation

/// What a person asks for: `count` texts derived from `baseText`.
public struct VariationRequest: Sendable, Hashable {
    public static let counts = VaryRequest.counts
    public static let maximumBaseLength = VaryRequest.maximumBaseLength
    public static let defaultMaxLength = VaryRequest.defaultMaxLength

    public let baseText: String
    public let count: Int
    public let seed: UInt64
    /// A language code (`en`, `es`…) the texts are written in; nil: the base text's own.
    public let language: String?
    public let maxLength: Int
    /// Up to `count` texts rather than exactly `count` (at least one).
    public let allowFewer: Bool

    /// Checks the request by the contract's rules (`VaryRequest.problem`); the error says what to change.
    public init(
        baseText: String, count: Int, seed: UInt64? = nil, language: String? = nil, maxLength: Int? = nil, allowFewer: Bool = false
    ) throws(TextEngineError) {
        let asked = VaryRequest(baseText: baseText, count: count, seed: seed, language: language, maxLength: maxLength)
        if let problem = asked.problem { throw .badRequest(problem) }
        let trimmed = baseText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !TextCleaner.clean(trimmed).isEmpty else { throw .badRequest("the base text is empty; give the text the variations come from") }
        let limit = maxLength ?? Self.defaultMaxLength
        self.baseText = TextCleaner.clean(trimmed)
        self.count = count
        self.seed = seed ?? UInt64.random(in: 0..<(1 << 53))
        self.language = language?.lowercased()
        self.maxLength = limit
        self.allowFewer = allowFewer
    }
}

/// Why an engine could not give the texts, worded for the person who configured it.
public struct TextEngineError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The request itself (empty base, count out of range…).
        case badRequest = "bad_request"
        /// The key was refused.
        case unauthenticated
        /// The configured model does not exist for this key.
        case unknownModel = "unknown_model"
        /// The server could not be reached, or kept failing past the retries.
        case unavailable
        /// The provider refused the prompt or stopped the answer (safety, recitation…).
        case blocked
        /// The answer was not the JSON asked for.
        case malformed
        /// Fewer distinct texts than asked, even after asking again.
        case tooFew = "too_few"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func badRequest(_ message: String) -> TextEngineError { TextEngineError(.badRequest, message) }

    public var description: String { message }
}

/// One source of variations (offline, Gemini, an OpenAI-compatible server), chosen once from settings.
public protocol TextEngine: Sendable {
    /// What produced the texts, as the contract names it: `offline:lexicon`, `gemini:MODEL`, `openai:MODEL@HOST`.
    var name: String { get }
    /// Whether asking a second time can give other texts (a model can; a deterministic engine cannot).
    var asksAgain: Bool { get }
    /// Texts for the request, as many as it can up to `wanted`, none of them one of `avoiding`.
    func candidates(for request: VariationRequest, wanted: Int, avoiding: [String]) async throws(TextEngineError) -> [Variation]
}

/// One text an engine made, and the words of the base it replaced when the engine knows (nil: a model
/// that rewrites).
public struct Variation: Sendable, Hashable {
    public let text: String
    public let replaced: [TextReplacement]?

    public init(text: String, replaced: [TextReplacement]? = nil) {
        self.text = text
        self.replaced = replaced
    }
}

/// Every engine's output goes through here: cleaned, de-duplicated, held to the length limit, and
/// exactly `count` of them or an error that says how many there were.
public enum TextVariations {
    public static func make(_ request: VariationRequest, with engine: any TextEngine) async throws(TextEngineError) -> [Variation] {
        var kept: [Variation] = []
        var seen: Set<String> = []
        for _ in 0..<(engine.asksAgain ? 2 : 1) {
            let raw = try await engine.candidates(for: request, wanted: request.count - kept.count, avoiding: kept.map(\.text))
            for variation in raw {
                let clean = TextCleaner.clean(variation.text)
                guard !clean.isEmpty, clean.count <= request.maxLength, seen.insert(TextCleaner.identity(clean)).inserted else { continue }
                kept.append(Variation(text: clean, replaced: variation.replaced))
                if kept.count == request.count { return kept }
            }
        }
        if request.allowFewer, !kept.isEmpty { return kept }
        let advice =
            engine.asksAgain
            ? "ask for fewer, or allow longer texts"
            : "it makes only variations it is sure of; ask for fewer, write one text per clip, or use a model engine"
        throw TextEngineError(
            .tooFew,
            "\(engine.name) gave \(kept.count) distinct texts of at most \(request.maxLength) characters, not the \(request.count) asked for; \(advice)"
        )
    }
}

/// The clean-up every text gets, whoever wrote it.
public enum TextCleaner {
    /// Trimmed, whitespace collapsed to single spaces (line breaks kept as one), control characters
    /// removed, and the list markers and wrapping quotes a model tends to add taken off.
    public static func clean(_ text: String) -> String {
        var lines: [String] = []
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            // Control characters become spaces; invisible format characters go, except the joiners and the
            // variation selector that emoji sequences and some scripts (Persian, Hindi) need.
            var scalars = String.UnicodeScalarView()
            for scalar in line.unicodeScalars {
                switch scalar.properties.generalCategory {
                case .control: scalars.append(" ")
                case .format where !["\u{200C}", "\u{200D}", "\u{FE0F}"].contains(scalar): continue
                default: scalars.append(scalar)
                }
            }
            let collapsed = String(scalars).split(whereSeparator: \.isWhitespace).joined(separator: " ")
            if !collapsed.isEmpty { lines.append(collapsed) }
        }
        var result = lines.joined(separator: "\n")
        result = stripListMarker(result)
        result = stripQuotes(result)
        return result.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Two texts are the same text when they differ only in case and surrounding space.
    public static func identity(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// `1. `, `2) `, `- `, `* `, `• ` at the start.
    static func stripListMarker(_ text: String) -> String {
        var rest = Substring(text)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty, digits.count <= 3 {
            let after = rest.dropFirst(digits.count)
            if let mark = after.first, mark == "." || mark == ")", after.dropFirst().first == " " {
                rest = after.dropFirst(2)
            }
        } else if let mark = rest.first, "-*•–".contains(mark), rest.dropFirst().first == " " {
            rest = rest.dropFirst(2)
        }
        return String(rest)
    }

    /// Quotes around the whole text: "…", “…”, «…», '…'.
    static func stripQuotes(_ text: String) -> String {
        let pairs: [(Character, Character)] = [("\"", "\""), ("“", "”"), ("«", "»"), ("'", "'"), ("„", "“"), ("「", "」")]
        var result = text
        for (open, close) in pairs where result.count >= 2 && result.first == open && result.last == close {
            let inner = result.dropFirst().dropLast()
            if !inner.contains(open) && !inner.contains(close) { result = String(inner) }
        }
        return result
    }
}

/// `text` with every occurrence of `secret` replaced (a model server's error may quote the key it got).
func redacting(_ secret: String?, in text: String) -> String {
    guard let secret, secret.count >= 4 else { return text }
    return text.replacingOccurrences(of: secret, with: "<redacted>")
}
