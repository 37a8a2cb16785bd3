import CutlineContracts
import CutlineCore
import Foundation

/// Variations without a network or a model (docs/text.md): the base text with a hook that fits its mood
/// and, in English, a word or two swapped for a vetted alternative that means the same in this sentence
/// (Lexicon), in a seeded order; each may also end with one "!" or put one content word in capitals.
/// Names, numbers, #tags, @handles, emoji and URLs are never touched. It makes only texts it is sure of:
/// when they run out before `count`, the answer says how many there were (`too_few`).
public struct OfflineEngine: TextEngine {
    public let name = "offline:lexicon"
    public let asksAgain = false

    public init() {}

    public func candidates(for request: VariationRequest, wanted: Int, avoiding: [String]) async throws(TextEngineError) -> [Variation] {
        // Every text here contains the whole base (it is varied, never shortened).
        guard request.baseText.count <= request.maxLength else {
            throw .badRequest(
                "the base text has \(request.baseText.count) characters, more than max_length \(request.maxLength), and the offline engine never shortens it; "
                    + "shorten it or allow longer texts")
        }
        let language = CaptionLanguage.named(request.language ?? CaptionLanguage.detect(request.baseText))
        let choices = Choices(Caption(request.baseText, language: language))
        var generator = SplitMix64(seed: request.seed)
        // Two texts that differ only in case and punctuation count as one.
        var seen = Set(avoiding.map(Choices.wording))
        var found: [Variation] = []
        func offer(_ variation: Variation) {
            guard variation.text.count <= request.maxLength, seen.insert(Choices.wording(variation.text)).inserted else { return }
            found.append(variation)
        }
        // The person's own text comes first.
        offer(Variation(text: request.baseText, replaced: []))
        var combinations = choices.combinations()
        combinations.shuffle(using: &generator)
        for combination in combinations where found.count < wanted {
            offer(choices.render(combination, decoration: generator.next()))
        }
        return Array(found.prefix(wanted))
    }
}

/// The choices one base text allows, and how a combination of them becomes a text.
struct Choices {
    struct Combination: Hashable {
        /// An alternative (1-based) per replaceable word position; absent: the word as written.
        var replaced: [Int: Int] = [:]
        /// An index into `hooks`; 0 is none.
        var hook = 0
    }

    let caption: Caption
    let mood: Caption.Mood
    /// The vetted alternatives per token position that fit the sentence there (English only).
    let alternatives: [Int: [String]]
    let hooks: [String]
    /// Token positions of the content words one of which may be put in capitals.
    let emphasisable: [Int]

    init(_ caption: Caption) {
        self.caption = caption
        mood = caption.mood
        var alternatives: [Int: [String]] = [:]
        if caption.language.code == "en" {
            for position in caption.variablePositions {
                let found = Lexicon.english.alternatives(at: position, in: caption)
                if !found.isEmpty { alternatives[position] = found }
            }
        }
        self.alternatives = alternatives
        let endsExclaimed = Caption.withoutTrailingDecorations(caption.tokens.map(\.text).joined()).hasSuffix("!")
        hooks =
            [""]
            + (Self.takesHook(caption) ? caption.language.hooks(for: mood) : []).filter {
                !(endsExclaimed && caption.language.quietHooks.contains($0))
            }
        emphasisable = Self.emphasisable(caption)
    }

    /// The words that may go in capitals: only the ones that carry the point ("BEST", "NOBODY", "AMAZING");
    /// never a function word, a time or place word ("later", "below"), or anything in a text the person
    /// already put capitals in, or in a script without case.
    static func emphasisable(_ caption: Caption) -> [Int] {
        let language = caption.language
        let hasCase = caption.tokens.contains { token in token.text.contains { $0.isUppercase || $0.isLowercase } }
        guard !caption.hasCapitalisedWord, hasCase else { return [] }
        let content = caption.variablePositions.filter { position in
            let word = caption.lowercased(position)!
            // A word spelt otherwise in capitals ("großartig", "GROSSARTIG") is left as written.
            return word.count >= 3 && !language.functionWords.contains(word) && !language.weakWords.contains(word)
                && !language.imperatives.contains(word) && word.uppercased().lowercased() == word
        }
        let salient = content.filter { position in
            let word = caption.lowercased(position)!
            if language.salientWords.contains(word) { return true }
            guard language.code == "en", let entry = Lexicon.english.entries[word] else { return false }
            return entry.tag == .adjective || entry.tag == .adverb
        }
        return salient
    }

    /// Whether a hook can go before the text: not when it already opens with one, and not when its first
    /// word is capitalised and unknown (a name or not, the hook would have to guess its case).
    static func takesHook(_ caption: Caption) -> Bool {
        guard !caption.opensWithHook, let first = caption.tokens.first(where: \.isWordLike) else { return false }
        return !caption.language.lowercaseAfterHook || first.kind == .word || !(first.text.first?.isUppercase ?? false)
    }

    /// Synonyms of at most two words at a time, each with every hook.
    func combinations() -> [Combination] {
        var replacements: [[Int: Int]] = [[:]]
        let positions = alternatives.keys.sorted()
        for position in positions {
            for choice in 1...alternatives[position]!.count { replacements.append([position: choice]) }
        }
        for (index, first) in positions.enumerated() {
            for second in positions.dropFirst(index + 1) {
                for i in 1...alternatives[first]!.count {
                    for j in 1...alternatives[second]!.count { replacements.append([first: i, second: j]) }
                }
            }
        }
        return replacements.flatMap { replaced in hooks.indices.map { Combination(replaced: replaced, hook: $0) } }
    }

    /// The text for a combination; `decoration` (from the seeded generator) picks its ending and whether
    /// one content word is put in capitals.
    func render(_ combination: Combination, decoration: UInt64) -> Variation {
        var tokens = caption.tokens
        var replaced: [TextReplacement] = []
        for (position, choice) in combination.replaced.sorted(by: { $0.key < $1.key }) {
            let written = tokens[position].text
            var alternative = alternatives[position]![choice - 1]
            // A capital at a sentence's start stays one.
            if written.first?.isUppercase == true { alternative = alternative.prefix(1).uppercased() + alternative.dropFirst() }
            tokens[position].text = alternative
            replaced.append(TextReplacement(from: written, to: alternative))
            Self.agreeArticle(before: position, in: &tokens, caption: caption)
        }
        if !emphasisable.isEmpty, decoration % 3 == 0 {
            let position = emphasisable[Int((decoration >> 8) % UInt64(emphasisable.count))]
            tokens[position].text = tokens[position].text.uppercased()
        }
        var body = tokens.map(\.text).joined().split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        let hook = hooks[combination.hook]
        // A question keeps its own ending; a story or headline opening is no exclamation; a quiet hook
        // is not shouted after.
        let exclaims = ![.question, .story, .headline].contains(mood) && !caption.language.quietHooks.contains(hook)
        if exclaims, (decoration >> 16) % 2 == 0 { body = exclaimed(body) }
        guard !hook.isEmpty else { return Variation(text: body, replaced: replaced) }
        return Variation(text: hook + " " + afterHook(body, tokens: tokens), replaced: replaced)
    }

    /// "a" or "an" before a replaced word, by the sound it starts with.
    static func agreeArticle(before position: Int, in tokens: inout [Caption.Token], caption: Caption) {
        guard let article = caption.previousWord(before: position), ["a", "an"].contains(tokens[article].text.lowercased()) else { return }
        // The lexicon's words that start with a vowel letter all start with a vowel sound ("an unreal").
        let vowel = tokens[position].text.lowercased().first.map { "aeiou".contains($0) } ?? false
        let written = tokens[article].text
        let agreed = vowel ? "an" : "a"
        tokens[article].text = written.first?.isUppercase == true ? agreed.prefix(1).uppercased() + agreed.dropFirst() : agreed
    }

    /// The body ending in one "!" in place of a full stop (before trailing emoji, tags and handles: "Party
    /// time! 🎉"); a text already ending in "!" or "…" is left as it is. Spanish opens it with "¡".
    func exclaimed(_ body: String) -> String {
        var words = body.split(separator: " ").map(String.init)
        var tail: [String] = []
        while let last = words.last, words.count > 1, Caption.isDecoration(last) { tail.insert(words.removeLast(), at: 0) }
        guard var last = words.popLast() else { return body }
        if last.hasSuffix("!") || last.hasSuffix("…") || last.hasSuffix("...") { return body }
        if last.hasSuffix(".") { last.removeLast() }
        guard last.contains(where: { $0.isLetter || $0.isNumber }) else { return body }
        words.append(last + "!")
        if caption.language.opensExclamation, !body.contains("¡") { words[0] = "¡" + words[0] }
        return (words + tail).joined(separator: " ")
    }

    /// The body after a hook: its first word loses a capital that only marked the sentence's start, in
    /// the languages that write it so ("Heads up: watch till the end"); "I" and names keep theirs.
    func afterHook(_ body: String, tokens: [Caption.Token]) -> String {
        guard caption.language.lowercaseAfterHook, let first = tokens.firstIndex(where: \.isWordLike), tokens[first].kind == .word,
            !["i", "i'm", "i've", "i'll", "i'd"].contains(tokens[first].text.lowercased()),
            tokens[first].text.dropFirst().allSatisfy({ !$0.isUppercase }),
            let range = body.range(of: tokens[first].text)
        else { return body }
        return body.replacingCharacters(in: range, with: tokens[first].text.lowercased())
    }

    /// A text's words without case or punctuation: what two variations must differ in.
    static func wording(_ text: String) -> String {
        String(text.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == " " })
            .split(separator: " ").joined(separator: " ")
    }
}

extension CaptionLanguage {
    /// Which language a base text is in, as far as its script and a few common words tell; nil: unknown.
    static func detect(_ text: String) -> String? {
        let letters = text.unicodeScalars.filter { $0.properties.isAlphabetic }
        guard !letters.isEmpty else { return nil }
        if letters.contains(where: { (0x0400...0x04FF).contains($0.value) }) { return "ru" }
        if letters.contains(where: { (0x0600...0x06FF).contains($0.value) }) { return "ar" }
        guard letters.allSatisfy({ $0.value < 0x0250 }) else { return nil }
        let words = Set(text.lowercased().split { !$0.isLetter && $0 != "'" && $0 != "’" }.map(String.init))
        // A tie between English and another goes to the other (its marks are more telling).
        let scores = [("es", spanishMarkers), ("de", germanMarkers), ("en", english.functionWords)].map { ($0.0, words.intersection($0.1).count) }
        if let best = scores.max(by: { $0.1 < $1.1 }), best.1 > 0 { return best.0 }
        if letters.contains(where: { "ñáéíóú¿¡".unicodeScalars.contains($0) }) { return "es" }
        if letters.contains(where: { "äöüß".unicodeScalars.contains($0) }) { return "de" }
        return letters.allSatisfy(\.isASCII) ? "en" : nil
    }

    /// Words common in one language and rare in English, to tell the two apart.
    static let spanishMarkers: Set<String> = [
        "el", "la", "los", "las", "de", "que", "y", "en", "un", "una", "es", "por", "con", "para", "del", "al", "mi", "tu", "muy", "hoy",
    ]
    static let germanMarkers: Set<String> = [
        "der", "die", "das", "und", "ist", "nicht", "ich", "du", "ein", "eine", "mit", "auf", "für", "zu", "den", "dem", "heute", "sehr",
        "zum", "zur", "bis", "mein", "meine", "im", "wie", "auch", "noch", "schon",
    ]
}
