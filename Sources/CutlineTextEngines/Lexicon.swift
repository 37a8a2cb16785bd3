import Foundation

/// Vetted replacements for common caption words (the data is in Lexicon+Entries.swift), and the rules
/// that say whether a word has, in this sentence, the part of speech its entry is for. A word is replaced
/// only when both hold; when unsure, it is left as written.
struct Lexicon: Sendable {
    enum Tag: String, Sendable {
        case adjective = "adj"
        case adverb = "adv"
        case noun
        /// The base form ("change"), after a modal, "to", a subject pronoun or "don't".
        case baseVerb = "verb"
        /// The he/she/it form ("changes").
        case presentVerb = "vbz"
        /// The past ("changed").
        case pastVerb = "vbd"
    }

    struct Entry: Sendable, Hashable {
        let form: String
        let tag: Tag
        let alternatives: [String]
        /// Per alternative: `wn POS OFFSET` (the WordNet synset holding both) or `editor`.
        let sources: [String]
        /// The word before must be one of these (nil: any).
        var after: Set<String>?
        var notAfter: Set<String> = []
        var notBefore: Set<String> = []
        /// Also at the start of a clause (an imperative such as "Grab yours").
        var atStart = false
        /// Only before a word in -ing ("stopped drinking", not "stopped by").
        var beforeGerund = false
    }

    let entries: [String: Entry]
    /// Lines of the data that could not be read, with why (LexiconTests expects none).
    let problems: [String]

    static let english = Lexicon(parsing: englishEntries)

    init(parsing data: String) {
        var entries: [String: Entry] = [:]
        var problems: [String] = []
        for line in data.split(separator: "\n") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            func list(_ field: String) -> [String] { field.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            guard fields.count == 4 || fields.count == 5, let tag = Tag(rawValue: fields[1]), !fields[0].isEmpty else {
                problems.append("\(line): expected form | tag | alternatives | sources [| conditions]")
                continue
            }
            var entry = Entry(form: fields[0], tag: tag, alternatives: list(fields[2]), sources: list(fields[3]))
            guard !entry.alternatives.isEmpty, entry.alternatives.count == entry.sources.count else {
                problems.append("\(line): one source per alternative")
                continue
            }
            for condition in fields.count == 5 ? fields[4].split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) : [] {
                let parts = condition.split(separator: "=", maxSplits: 1).map(String.init)
                let words = Set(parts.count == 2 ? parts[1].split(separator: " ").map(String.init) : [])
                switch parts[0] {
                case "start": entry.atStart = true
                case "before-ing": entry.beforeGerund = true
                case "after": entry.after = words
                case "not-after": entry.notAfter = words
                case "not-before": entry.notBefore = words
                default: problems.append("\(line): unknown condition \(parts[0])")
                }
            }
            if entries[entry.form] != nil { problems.append("\(line): \(entry.form) is listed twice") }
            entries[entry.form] = entry
        }
        self.entries = entries
        self.problems = problems
    }

    /// The alternatives for the word at `index`, when its entry's part of speech is the one it has here.
    func alternatives(at index: Int, in caption: Caption) -> [String] {
        guard let word = caption.lowercased(index), let entry = entries[word] else { return [] }
        return fits(entry, at: index, in: caption) ? entry.alternatives : []
    }

    func fits(_ entry: Entry, at index: Int, in caption: Caption) -> Bool {
        let before = caption.previousWord(before: index)
        let previous = caption.lowercased(before)
        let next = caption.lowercased(caption.nextWord(after: index))
        if let after = entry.after, !after.contains(previous ?? "") { return false }
        if let previous, entry.notAfter.contains(previous) { return false }
        if let next, entry.notBefore.contains(next) { return false }
        if entry.beforeGerund, !(next?.hasSuffix("ing") ?? false) { return false }
        let function = caption.language.functionWords
        let isContent = { (word: String?) in word.map { !function.contains($0) && $0.contains(where: \.isLetter) } ?? false }
        switch entry.tag {
        case .adjective:
            // "keep it simple", "take it easy": an adjective after an object pronoun is part of a phrase.
            if let previous, Self.objectPronouns.contains(previous) { return false }
            // Before a noun ("easy dinner") or after a linking word ("is easy", "so easy").
            return isContent(next) || previous.map(Self.linkingWords.contains) ?? false
        case .adverb:
            return next != nil
        case .noun:
            // Inside a noun phrase: a determiner, possessive or number before it (perhaps past a word or
            // two: "our best summer deals"), and its head: not followed by what a verb takes ("trick you")
            // nor by another noun it would describe ("kids menu").
            if let next, Self.determiners.contains(next) || Self.objectPronouns.contains(next) || isContent(next) { return false }
            var at = before
            for _ in 0..<3 {
                guard let position = at, let word = caption.lowercased(position) else { return false }
                if Self.determiners.contains(word) || word.allSatisfy(\.isNumber) { return true }
                guard isContent(word) else { return false }
                at = caption.previousWord(before: position)
            }
            return false
        case .baseVerb:
            guard let previous else { return entry.atStart }
            return Self.beforeBaseVerb.contains(previous)
        case .presentVerb:
            return previous.map(Self.singularSubjects.contains) ?? false
        case .pastVerb:
            // After a subject ("I", "this", "our team"), never inside a noun phrase ("a changed man").
            guard let previous else { return false }
            if Self.determiners.contains(previous) || function.contains(previous) && !Self.subjects.contains(previous) { return false }
            return Self.subjects.contains(previous) || isContent(previous)
        }
    }

    static let determiners: Set<String> = [
        "a", "an", "the", "this", "that", "these", "those", "my", "your", "our", "their", "his", "her", "its", "every", "each", "some",
        "more", "most", "no", "any", "all", "few", "many", "several",
    ]
    static let objectPronouns: Set<String> = ["me", "you", "him", "her", "it", "us", "them"]
    static let linkingWords: Set<String> = [
        "is", "are", "was", "were", "be", "been", "so", "very", "too", "really", "super", "look", "looks", "looked", "feel", "feels",
        "felt", "smell", "smells", "taste", "tastes", "sound", "sounds", "seem", "seems", "stay", "stays", "'s", "it's", "that's",
        "how", "most", "more", "pretty", "quite",
    ]
    static let beforeBaseVerb: Set<String> = [
        "to", "will", "would", "can", "could", "should", "must", "might", "may", "i", "you", "we", "they", "don't", "do", "did", "didn't",
        "let's", "can't", "won't", "i'll", "you'll", "we'll", "they'll", "never", "always", "just",
    ]
    static let singularSubjects: Set<String> = [
        "he", "she", "it", "who", "that", "this", "everyone", "everybody", "nobody", "someone", "somebody", "everything", "nothing",
    ]
    static let subjects: Set<String> = singularSubjects.union(["i", "you", "we", "they", "just", "finally", "really", "totally", "never"])
}
