import Foundation

/// A base text as tokens, with what the offline engine needs to know about it: which words may change,
/// each word's neighbours, the sentence's mood, and whether it already opens with a hook.
struct Caption {
    enum Kind: Hashable {
        /// A plain word that may be replaced or emphasised (letters only, not a name).
        case word
        /// Kept as written: names, numbers, #tags, @handles, emoji, URLs, punctuation.
        case fixed
        case space
    }

    struct Token: Hashable {
        var text: String
        var kind: Kind

        /// Letters or digits: a word for its neighbours, whether it may change or not.
        var isWordLike: Bool { kind != .space && text.contains { $0.isLetter || $0.isNumber } }
    }

    /// What the sentence does; endings and hooks keep it.
    enum Mood: Hashable {
        /// A full sentence that states something ("This changed everything for me").
        case statement
        /// A phrase without a verb: a title or product line ("Best day ever", "Tiny kitchen, big ideas").
        case title
        /// A call to action ("Watch till the end", "Don't miss the last day").
        case imperative
        case question
        /// A story's opening ("How I learned to cook", "The day I quit my job").
        case story
        /// A "how", "why" or "what" title that is not a question ("How to fold a shirt", "Why this
        /// matters"), or a wish ("Have a great weekend"): no hook reads right before it, and a "!" would
        /// make a title an exclamation.
        case headline
    }

    let tokens: [Token]
    let language: CaptionLanguage

    init(_ text: String, language: CaptionLanguage) {
        self.language = language
        var tokens: [Token] = []
        var sentenceStart = true
        for piece in Self.pieces(text) {
            if piece.allSatisfy(\.isWhitespace) {
                tokens.append(Token(text: piece, kind: .space))
                continue
            }
            // Leading and trailing punctuation is its own token, so "time!" can vary "time".
            let core = piece.trimmingCharacters(in: .punctuationCharacters.subtracting(CharacterSet(charactersIn: "#@'")))
            guard !core.isEmpty, let range = piece.range(of: core) else {
                tokens.append(Token(text: piece, kind: .fixed))
                if piece.contains(where: { ".!?:".contains($0) }) { sentenceStart = true }
                continue
            }
            let leading = String(piece[..<range.lowerBound])
            let trailing = String(piece[range.upperBound...])
            if !leading.isEmpty { tokens.append(Token(text: leading, kind: .fixed)) }
            let variable = Self.isVariable(core, sentenceStart: sentenceStart, language: language)
            tokens.append(Token(text: core, kind: variable ? .word : .fixed))
            if !trailing.isEmpty { tokens.append(Token(text: trailing, kind: .fixed)) }
            sentenceStart = trailing.contains { ".!?:".contains($0) }
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

    /// A plain word: letters only (an inner apostrophe is fine), in lower case. A capital at the start of
    /// a sentence is allowed only on a word the language's lists know ("This", "Watch"): otherwise it may
    /// be a name. Anything with a digit, a symbol, a # or @, or a capital elsewhere (iPhone, NASA) is kept.
    static func isVariable(_ word: String, sentenceStart: Bool, language: CaptionLanguage) -> Bool {
        guard word.allSatisfy({ $0.isLetter || $0 == "'" || $0 == "’" }), word.first?.isLetter == true else { return false }
        guard word.dropFirst().allSatisfy({ !$0.isUppercase }) else { return false }
        guard word.first!.isUppercase else { return true }
        return sentenceStart && language.isCommon(word.lowercased())
    }

    // MARK: Neighbours

    /// The index of the word-like token before `index` in the same clause; nil at a clause's start.
    func previousWord(before index: Int) -> Int? {
        var at = index - 1
        while at >= 0 {
            let token = tokens[at]
            if token.kind == .space {
                at -= 1
                continue
            }
            return token.isWordLike ? at : nil
        }
        return nil
    }

    /// The index of the word-like token after `index` in the same clause; nil at its end.
    func nextWord(after index: Int) -> Int? {
        var at = index + 1
        while at < tokens.count {
            let token = tokens[at]
            if token.kind == .space {
                at += 1
                continue
            }
            return token.isWordLike ? at : nil
        }
        return nil
    }

    func lowercased(_ index: Int?) -> String? {
        index.map { tokens[$0].text.lowercased().replacingOccurrences(of: "’", with: "'") }
    }

    /// The word-like tokens, lower-cased, in order.
    var words: [String] {
        tokens.indices.filter { tokens[$0].isWordLike }.map { lowercased($0)! }
    }

    /// The positions of the words that may change.
    var variablePositions: [Int] {
        tokens.indices.filter { tokens[$0].kind == .word }
    }

    // MARK: The sentence

    var mood: Mood {
        let text = tokens.map(\.text).joined()
        let trimmed = Self.withoutTrailingDecorations(text)
        if trimmed.hasSuffix("?") || trimmed.hasSuffix("؟") || text.hasPrefix("¿") { return .question }
        let words = self.words
        guard let first = words.first else { return .title }
        if language.storyOpenings.contains(where: { words.starts(with: $0) }) { return .story }
        if language.headlineOpenings.contains(first) { return .headline }
        if language.imperatives.contains(first) { return .imperative }
        // "3 mistakes every beginner makes", "Things I wish I knew": a list's title, whatever verb follows.
        if language.code == "en", first.allSatisfy(\.isNumber) || (first.hasSuffix("s") && !language.isCommon(first)) { return .title }
        return language.hasFiniteVerb(words) ? .statement : .title
    }

    /// Whether the text already opens with a hook: a known one in any language, a word that opens one
    /// ("So", "Okay", "POV"), or a short lead-in ending in a colon or a sentence's end with more after it
    /// ("New drop:", "Big news! We're moving"), so another one is never stacked on it.
    var opensWithHook: Bool {
        let text = tokens.map(\.text).joined()
        let lower = text.lowercased()
        if CaptionLanguage.all.contains(where: { language in
            language.allHooks.contains { lower.hasPrefix($0.lowercased()) }
        }) {
            return true
        }
        if let first = words.first, language.leadIns.contains(first) { return true }
        guard let end = text.firstIndex(where: { ":!.".contains($0) }), text[text.index(after: end)...].contains(where: \.isLetter) else {
            return false
        }
        let lead = text[..<end]
        return !lead.contains("/") && lead.split(separator: " ").count <= 3
    }

    /// The text without the emoji, #tags and @handles that trail it ("Party time! 🎉" → "Party time!").
    static func withoutTrailingDecorations(_ text: String) -> String {
        var words = text.split(separator: " ").map(String.init)
        while let last = words.last, words.count > 1, isDecoration(last) { words.removeLast() }
        return words.joined(separator: " ")
    }

    static func isDecoration(_ word: String) -> Bool {
        word.hasPrefix("#") || word.hasPrefix("@")
            || (!word.contains { $0.isLetter || $0.isNumber } && !word.allSatisfy { ".!?…,;:؟".contains($0) })
    }

    /// Whether the text has a word in capitals the person wrote ("HUGE sale"): then no emphasis is added.
    var hasCapitalisedWord: Bool {
        tokens.contains { token in
            let letters = token.text.filter(\.isLetter)
            return token.kind != .space && letters.count >= 2 && letters.allSatisfy(\.isUppercase)
        }
    }
}
