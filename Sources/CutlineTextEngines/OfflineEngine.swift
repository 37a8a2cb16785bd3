import CutlineCore
import Foundation

/// Variations without a network or a model (docs/text.md): the base text with some of its words swapped
/// for WordNet synonyms, its ending punctuation, emphasis, clause order and an opening hook varied, in
/// a seeded order. Names, numbers, #tags, @handles, emoji and URLs are never touched. When those
/// choices run out, the texts are numbered as parts of a series. It is a word game, not a language
/// model: it does not rephrase, and synonyms come only for English.
public struct OfflineEngine: TextEngine {
    public let name = "offline:wordnet"
    public let asksAgain = false
    let wordNet: WordNet

    public init(wordNet: WordNet) {
        self.wordNet = wordNet
    }

    public func candidates(for request: VariationRequest, wanted: Int, avoiding: [String]) async throws(TextEngineError) -> [String] {
        // Every text here contains the whole base (it is varied, never shortened).
        guard request.baseText.count <= request.maxLength else {
            throw .badRequest(
                "the base text has \(request.baseText.count) characters, more than max_length \(request.maxLength), and the offline engine never shortens it; "
                    + "shorten it or allow longer texts")
        }
        let text = Text(request.baseText)
        let language = request.language ?? Language.detect(text)
        let options = Options(text: text, language: language, wordNet: language == "en" ? wordNet : nil)
        var generator = SplitMix64(seed: request.seed)
        let avoided = Set(avoiding.map(TextCleaner.identity))
        var seen = avoided
        var texts: [String] = []
        func offer(_ candidate: String) {
            guard candidate.count <= request.maxLength, seen.insert(TextCleaner.identity(candidate)).inserted else { return }
            texts.append(candidate)
        }
        // The person's own text comes first.
        offer(request.baseText)
        // Every combination of the choices, in an order the seed decides; a series number when they run out.
        var combinations = options.combinations()
        combinations.shuffle(using: &generator)
        for combination in combinations where texts.count < wanted {
            offer(options.render(combination))
        }
        var part = 2
        let limit = wanted + 2 * request.count + 10
        while texts.count < wanted && part < limit {
            let combination = combinations.isEmpty ? Options.Combination() : combinations[(part - 2) % combinations.count]
            offer(options.render(combination) + " " + Language.part(part, in: language))
            part += 1
        }
        return Array(texts.prefix(wanted))
    }
}

/// The base text as tokens: words that may change, and everything else kept exactly.
struct Text {
    enum Token: Hashable {
        /// A word that may be varied (letters only, not a name), as written.
        case word(String)
        /// Kept as written: names, numbers, #tags, @handles, emoji, URLs, punctuation.
        case fixed(String)
        case space(String)
    }

    let tokens: [Token]

    init(_ text: String) {
        var tokens: [Token] = []
        var sentenceStart = true
        for piece in Self.pieces(text) {
            if piece.allSatisfy(\.isWhitespace) {
                tokens.append(.space(piece))
                continue
            }
            // Leading and trailing punctuation is its own fixed token, so "time!" varies "time".
            let core = piece.trimmingCharacters(in: .punctuationCharacters.subtracting(CharacterSet(charactersIn: "#@'")))
            guard !core.isEmpty, let range = piece.range(of: core) else {
                tokens.append(.fixed(piece))
                if piece.contains(where: { ".!?".contains($0) }) { sentenceStart = true }
                continue
            }
            let leading = String(piece[..<range.lowerBound])
            let trailing = String(piece[range.upperBound...])
            if !leading.isEmpty { tokens.append(.fixed(leading)) }
            tokens.append(Self.isVariable(core, sentenceStart: sentenceStart) ? .word(core) : .fixed(core))
            if !trailing.isEmpty { tokens.append(.fixed(trailing)) }
            sentenceStart = trailing.contains { ".!?".contains($0) }
        }
        self.tokens = tokens
    }

    /// Runs of whitespace and runs of anything else.
    static func pieces(_ text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var inSpace: Bool?
        for character in text {
            let space = character.isWhitespace
            if inSpace != nil && inSpace != space {
                pieces.append(current)
                current = ""
            }
            current.append(character)
            inSpace = space
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// A plain word: letters only (an apostrophe inside is fine), in lower case. A capital at the start
    /// of a sentence is allowed only on a common word ("This", "Wait"): otherwise it may be a name.
    /// Anything with a digit, a symbol, a # or @, or a capital elsewhere is kept.
    static func isVariable(_ word: String, sentenceStart: Bool) -> Bool {
        guard word.allSatisfy({ $0.isLetter || $0 == "'" }), word.first?.isLetter == true else { return false }
        guard word.dropFirst().allSatisfy({ !$0.isUppercase }) else { return false }
        guard word.first!.isUppercase else { return true }
        let lower = word.lowercased()
        return sentenceStart && (Language.englishStopwords.contains(lower) || Language.spanish.contains(lower) || Language.german.contains(lower))
    }

    /// The words that may change (lower-cased, for look-up), with their token positions.
    var variableWords: [(position: Int, word: String)] {
        tokens.enumerated().compactMap { position, token in
            if case .word(let word) = token { (position, word.lowercased()) } else { nil }
        }
    }
}

/// The choices one variation makes; `Options.render` turns them into text.
struct Options {
    struct Combination: Hashable {
        /// A synonym index (1-based) per variable word position; 0 or absent: the word as written.
        var synonyms: [Int: Int] = [:]
        var ending = 0
        var emphasis = 0
        var swapped = false
        var hook = 0
    }

    let text: Text
    let language: String?
    /// Synonyms per token position (only English words of the kinds WordNet knows).
    let synonyms: [Int: [String]]
    let endings: [String]
    let hooks: [String]
    let clauses: [[Text.Token]]

    init(text: Text, language: String?, wordNet: WordNet?) {
        self.text = text
        self.language = language
        var synonyms: [Int: [String]] = [:]
        if let wordNet {
            let words = text.variableWords
            for (index, (position, word)) in words.enumerated() where !Language.englishStopwords.contains(word) {
                // A verb before an object pronoun is usually a fixed phrase ("trust me"): left alone.
                let next = index + 1 < words.count && words[index + 1].position == position + 2 ? words[index + 1].word : nil
                let found = Self.synonyms(of: word, in: wordNet, beforePronoun: next.map(Language.objectPronouns.contains) ?? false)
                if !found.isEmpty { synonyms[position] = Array(found.prefix(3)) }
            }
        }
        self.synonyms = synonyms
        endings = ["", "!", "!!", "…", "?!", " — wow"].filter { language == "en" || !$0.contains("wow") }
        hooks = [""] + Language.hooks(in: language)
        clauses = Self.clauses(of: text.tokens)
    }

    /// Synonyms of a word that is mainly an adjective, adverb or verb (more tagged senses as one of those
    /// than as a noun), from its two most frequent senses.
    static func synonyms(of word: String, in wordNet: WordNet, beforePronoun: Bool = false) -> [String] {
        let noun = wordNet.taggedSenses(word, as: .noun)
        let best = [WordNet.PartOfSpeech.adjective, .adverb, .verb].max { wordNet.taggedSenses(word, as: $0) < wordNet.taggedSenses(word, as: $1) }!
        let tagged = wordNet.taggedSenses(word, as: best)
        guard tagged > 0, tagged >= noun, !(best == .verb && beforePronoun) else { return [] }
        // A synonym that is itself mostly a noun ("bank" for "trust") reads wrong in the same place.
        return wordNet.synonyms(of: word, as: best).filter { synonym in
            synonym.count <= word.count + 6 && !Language.englishStopwords.contains(synonym)
                && wordNet.taggedSenses(synonym, as: best) >= wordNet.taggedSenses(synonym, as: .noun)
        }
    }

    /// Clauses split at ", " / "; " / " - " (kept with the clause before), for swapping two of them.
    static func clauses(of tokens: [Text.Token]) -> [[Text.Token]] {
        var clauses: [[Text.Token]] = [[]]
        for token in tokens {
            clauses[clauses.count - 1].append(token)
            if case .fixed(let mark) = token, [",", ";", " -", "-", "—"].contains(mark.trimmingCharacters(in: .whitespaces)) {
                clauses.append([])
            }
        }
        return clauses.filter { !$0.isEmpty }
    }

    /// Every combination of the choices (synonyms of at most two words at a time, so the texts stay
    /// close to the base), capped at a few thousand.
    func combinations() -> [Combination] {
        var synonymChoices: [[Int: Int]] = [[:]]
        let positions = synonyms.keys.sorted()
        for position in positions {
            for choice in 1...synonyms[position]!.count { synonymChoices.append([position: choice]) }
        }
        for (a, first) in positions.enumerated() {
            for second in positions.dropFirst(a + 1) {
                for i in 1...synonyms[first]!.count {
                    for j in 1...synonyms[second]!.count { synonymChoices.append([first: i, second: j]) }
                }
            }
        }
        let swaps = clauses.count >= 2 ? [false, true] : [false]
        var all: [Combination] = []
        outer: for words in synonymChoices {
            for ending in endings.indices {
                for emphasis in 0..<3 {
                    for swapped in swaps {
                        for hook in hooks.indices {
                            all.append(Combination(synonyms: words, ending: ending, emphasis: emphasis, swapped: swapped, hook: hook))
                            if all.count >= 20_000 { break outer }
                        }
                    }
                }
            }
        }
        return all
    }

    func render(_ combination: Combination) -> String {
        var words = text.tokens
        for (position, choice) in combination.synonyms where choice > 0 {
            if case .word(let written) = words[position] {
                // A capital at a sentence start stays one on the synonym.
                let synonym = synonyms[position]![choice - 1]
                words[position] = .word(written.first?.isUppercase == true ? synonym.prefix(1).uppercased() + synonym.dropFirst() : synonym)
            }
        }
        let variable = words.indices.filter { if case .word = words[$0] { true } else { false } }
        switch combination.emphasis {
        case 1:
            // The longest plain word in capitals.
            if let longest = variable.max(by: { Self.string(words[$0]).count < Self.string(words[$1]).count }) {
                words[longest] = .word(Self.string(words[longest]).uppercased())
            }
        case 2:
            for index in variable { words[index] = .word(Self.string(words[index]).uppercased()) }
        default: break
        }
        var body = words
        if combination.swapped, clauses.count >= 2 {
            // The last clause first: "A, B" → "B, A" (the separator stays between them).
            var split = Self.clauses(of: words)
            var last = split.removeLast()
            while let mark = last.last, case .fixed(let text) = mark, text.allSatisfy({ ".!?…".contains($0) }) { last.removeLast() }
            // The capital moves with the start of the text: "Trust me, this trick…".
            if let first = split[0].firstIndex(where: { if case .word = $0 { true } else { false } }), case .word(let word) = split[0][first],
                Language.englishStopwords.contains(word.lowercased()) || Language.spanish.contains(word.lowercased())
                    || Language.german.contains(word.lowercased())
            {
                if word.dropFirst().allSatisfy({ !$0.isUppercase }) { split[0][first] = .word(word.prefix(1).lowercased() + word.dropFirst()) }
            }
            if let first = last.firstIndex(where: { if case .word = $0 { true } else { false } }), case .word(let word) = last[first] {
                last[first] = .word(word.prefix(1).uppercased() + word.dropFirst())
            }
            split.insert(last + [.fixed(","), .space(" ")], at: 0)
            body = split.flatMap { $0 }
            while let tail = body.last, Self.isSeparatorOrSpace(tail) { body.removeLast() }
        }
        var result = Self.join(body)
        result = Self.ending(result, endings[combination.ending])
        let hook = hooks[combination.hook]
        if !hook.isEmpty { result = hook + " " + Self.lowerFirst(result, after: hook) }
        return result
    }

    static func string(_ token: Text.Token) -> String {
        switch token {
        case .word(let s), .fixed(let s), .space(let s): s
        }
    }

    static func join(_ tokens: [Text.Token]) -> String {
        tokens.map(string).joined().split(whereSeparator: { $0 == " " }).joined(separator: " ")
    }

    static func isSeparatorOrSpace(_ token: Text.Token) -> Bool {
        switch token {
        case .space: true
        case .fixed(let mark): [",", ";", "-", "—"].contains(mark.trimmingCharacters(in: .whitespaces))
        case .word: false
        }
    }

    /// Replaces the text's closing punctuation (., !, ?, …) with `ending`; the ending goes before
    /// trailing emoji, #tags and @handles, so "Party time 🎉" becomes "Party time! 🎉".
    static func ending(_ text: String, _ ending: String) -> String {
        guard !ending.isEmpty else { return text }
        var words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var tail: [String] = []
        func trailing(_ word: String) -> Bool {
            word.hasPrefix("#") || word.hasPrefix("@")
                || (!word.contains { $0.isLetter || $0.isNumber } && !word.allSatisfy { ".!?…,;:".contains($0) })
        }
        while let last = words.last, words.count > 1, trailing(last) {
            tail.insert(words.removeLast(), at: 0)
        }
        guard var last = words.popLast() else { return text }
        while let mark = last.last, ".!?…".contains(mark) { last.removeLast() }
        if last.isEmpty { return text }
        words.append(last + ending)
        return (words + tail).joined(separator: " ")
    }

    /// After a hook ending in "," or "…" a common first word loses its capital ("Listen, this…"); a
    /// name or "I" keeps it.
    static func lowerFirst(_ text: String, after hook: String) -> String {
        guard hook.hasSuffix(",") || hook.hasSuffix("…"), let first = text.split(separator: " ").first,
            first.count > 1, first.dropFirst().allSatisfy({ !$0.isUppercase })
        else { return text }
        let lower = first.lowercased()
        guard Language.englishStopwords.contains(lower) || Language.spanish.contains(lower) || Language.german.contains(lower) else { return text }
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}

/// Which language a base text is in, as far as a few common words and its script tell; and the words
/// the engine adds in it.
enum Language {
    static func detect(_ text: Text) -> String? {
        let words = text.tokens.compactMap { token -> String? in
            switch token {
            case .word(let w): w.lowercased()
            case .fixed(let f): f.lowercased()
            case .space: nil
            }
        }
        let letters = words.joined().unicodeScalars.filter { $0.properties.isAlphabetic }
        guard !letters.isEmpty else { return nil }
        if letters.contains(where: { (0x0400...0x04FF).contains($0.value) }) { return "ru" }
        if letters.contains(where: { (0x0600...0x06FF).contains($0.value) }) { return "ar" }
        guard letters.allSatisfy({ $0.value < 0x0250 }) else { return nil }
        let set = Set(words)
        let scores = [("es", spanish), ("de", german), ("en", englishStopwords)].map { ($0.0, set.intersection($0.1).count) }
        if let best = scores.max(by: { $0.1 < $1.1 }), best.1 > 0 {
            // A tie between English and another goes to the other (their marks are more telling).
            return best.0
        }
        let accented =
            letters.contains { "ñáéíóú¿¡".unicodeScalars.contains($0) } ? "es" : letters.contains { "äöüß".unicodeScalars.contains($0) } ? "de" : nil
        return accented ?? (letters.allSatisfy(\.isASCII) ? "en" : nil)
    }

    /// Short openers people put on clips, per language; none for a language not listed.
    static func hooks(in language: String?) -> [String] {
        switch language {
        case "en":
            [
                "POV:", "Wait for it…", "Watch this:", "Real talk:", "Fun fact:", "Not gonna lie,", "Okay, so", "Plot twist:",
                "Story time:", "Heads up:", "Quick one:", "Hot take:", "Reminder:", "Be honest:", "Breaking:", "Listen,",
            ]
        case "es": ["Ojo:", "Atención:", "Mira esto:", "Dato curioso:", "Spoiler:", "Te cuento:", "Ojo al dato:", "Escucha,"]
        case "de": ["Achtung:", "Schau mal:", "Fun Fact:", "Ehrlich gesagt,", "Kurz gesagt:", "Aufgepasst:", "Hör zu,", "Spoiler:"]
        case "ru": ["Внимание:", "Смотри:", "Факт:", "Честно говоря,", "Кстати,", "Спойлер:", "Слушай,", "Коротко:"]
        case "ar": ["انتبه:", "شاهد:", "حقيقة:", "بصراحة،", "باختصار:", "تخيل:"]
        default: []
        }
    }

    /// The series number added when the other choices run out.
    static func part(_ number: Int, in language: String?) -> String {
        switch language {
        case "en": "(part \(number))"
        case "es": "(parte \(number))"
        case "de": "(Teil \(number))"
        case "ru": "(часть \(number))"
        case "ar": "(الجزء \(number))"
        default: "(\(number))"
        }
    }

    static let objectPronouns: Set<String> = ["me", "you", "him", "her", "it", "us", "them", "myself", "yourself"]
    static let spanish: Set<String> = [
        "el", "la", "los", "las", "de", "que", "y", "en", "un", "una", "es", "por", "con", "para", "del", "al", "mi", "tu", "muy", "hoy",
    ]
    static let german: Set<String> = [
        "der", "die", "das", "und", "ist", "nicht", "ich", "du", "ein", "eine", "mit", "auf", "für", "zu", "den", "dem", "heute", "sehr",
    ]
    static let englishStopwords: Set<String> = [
        "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for", "with", "from", "up", "down", "out",
        "over", "under", "again", "then", "once", "here", "there", "when", "where", "why", "how", "all", "any", "both", "each",
        "few", "more", "most", "other", "some", "such", "no", "nor", "not", "only", "own", "same", "so", "than", "too", "very",
        "can", "will", "just", "don't", "should", "now", "i", "me", "my", "we", "our", "you", "your", "he", "him", "his", "she",
        "her", "it", "its", "they", "them", "their", "what", "which", "who", "whom", "this", "that", "these", "those", "am",
        "is", "are", "was", "were", "be", "been", "being", "have", "has", "had", "do", "does", "did", "doing", "get", "got",
        "make", "made", "go", "going", "let", "let's", "it's", "i'm", "you're", "about", "into", "through", "off", "yes", "time",
    ]
}
