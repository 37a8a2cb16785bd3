import Foundation

/// The rules of a variation request, in the contract so every caller checks the same ones before the
/// TextService is asked (the Gateway without importing the engines, the CLI, the service itself).
extension VaryRequest {
    public static let counts = 1...500
    public static let maximumBaseLength = 500
    public static let maxLengths = 1...1000
    /// About two lines of the default overlay style on a 16:9 frame (5 % of the height per line, at most
    /// 90 % of the width per line): longer texts wrap to a third line on some clips.
    public static let defaultMaxLength = 100

    /// What is wrong with the request, worded for the person who sent it; nil when it can be asked.
    public var problem: String? {
        let trimmed = baseText.trimmingCharacters(in: .whitespacesAndNewlines)
        // Judged as it will be used: control characters and invisible marks do not count as text.
        let visible = trimmed.unicodeScalars.contains { scalar in
            let category = scalar.properties.generalCategory
            return !scalar.properties.isWhitespace && category != .control && category != .format
        }
        guard visible else { return "the base text is empty; give the text the variations come from" }
        guard trimmed.count <= Self.maximumBaseLength else {
            return "the base text has \(trimmed.count) characters; at most \(Self.maximumBaseLength)"
        }
        guard Self.counts.contains(count) else {
            return "count is \(count); ask for \(Self.counts.lowerBound) to \(Self.counts.upperBound) texts"
        }
        let limit = maxLength ?? Self.defaultMaxLength
        guard Self.maxLengths.contains(limit) else {
            return "max_length is \(limit); give \(Self.maxLengths.lowerBound) to \(Self.maxLengths.upperBound) characters"
        }
        if let language {
            guard (2...8).contains(language.count), language.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-") }) else {
                return "language \"\(language)\" is not a language code such as en, es or pt-BR"
            }
        }
        return nil
    }
}

/// The `detail` words the TextService's errors carry (PROTOCOL.md §6), for callers to branch on.
public enum TextErrorDetail {
    /// Fewer distinct texts than asked within the length: the request can change, not the engine.
    public static let tooFew = "too_few"
}
