import CutlineContracts
import Foundation
import Testing

@testable import CutlineTextEngines

/// The rules a careful copywriter holds the offline engine's texts to (issue: offline variations), as
/// checks of their own: the lists here are the tests', not the engine's.
enum CaptionRules {
    struct Base {
        let language: String
        let kind: String
        let text: String
    }

    /// Fixtures/caption-bases.tsv: `language<TAB>kind<TAB>text`, `#` for comments.
    static let bases: [Base] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/caption-bases.tsv")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            let fields = line.split(separator: "\t", maxSplits: 2).map(String.init)
            return fields.count == 3 ? Base(language: fields[0], kind: fields[1], text: fields[2]) : nil
        }
    }()

    /// Articles, prepositions, pronouns, auxiliaries and conjunctions, which are never put in capitals.
    static let functionWords: [String: Set<String>] = [
        "en": [
            "a", "an", "the", "of", "to", "in", "on", "at", "for", "with", "from", "by", "about", "till", "until", "into", "i", "you",
            "he", "she", "it", "we", "they", "me", "him", "her", "us", "them", "my", "your", "our", "their", "this", "that", "is", "are",
            "was", "were", "be", "do", "does", "did", "will", "would", "can", "could", "should", "have", "has", "had", "don't", "and",
            "or", "but", "so", "if", "when", "who", "what's", "what", "which", "one", "before", "they're",
        ],
        "es": ["el", "la", "los", "las", "un", "una", "de", "del", "en", "a", "y", "o", "que", "para", "por", "con", "te", "tú", "es", "fue"],
        "de": ["der", "die", "das", "den", "des", "ein", "eine", "und", "in", "im", "zum", "bis", "für", "ich", "du", "ist", "war", "hatte"],
        "ru": ["в", "на", "за", "до", "о", "и", "я", "ты", "это", "был", "была", "бы", "не", "моей", "уже"],
    ]

    /// A text's words without case or punctuation.
    static func wording(_ text: String) -> String {
        String(text.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == " " })
            .split(separator: " ").joined(separator: " ")
    }

    static func words(_ text: String) -> [String] {
        text.split(separator: " ").map { $0.trimmingCharacters(in: .punctuationCharacters.union(.symbols)) }.filter { !$0.isEmpty }
    }

    static func isCapitalised(_ word: String) -> Bool {
        let letters = word.filter(\.isLetter)
        return letters.count >= 2 && letters.allSatisfy(\.isUppercase)
    }

    static func isQuestion(_ text: String) -> Bool {
        let trimmed = Caption.withoutTrailingDecorations(text)
        return trimmed.hasSuffix("?") || trimmed.hasSuffix("؟")
    }

    static func opensWithLeadIn(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":") else { return false }
        return text[..<colon].split(separator: " ").count <= 3
    }

    /// Every way `text` breaks the rules as a variation of `base`; empty when it keeps them all.
    static func problems(_ variation: Variation, of base: Base) -> [String] {
        let text = variation.text
        var problems: [String] = []
        let function = functionWords[base.language] ?? []
        // Emphasis: at most one word put in capitals, never a function word, never a run of them.
        let added = words(text).filter(isCapitalised).filter { !words(base.text).contains($0) }
        if added.count > 1 { problems.append("more than one word in capitals: \(added)") }
        for word in added where function.contains(word.lowercased()) { problems.append("function word in capitals: \(word)") }
        // Mood: a question stays one and nothing else becomes one; no "?!", no trailing off, one "!" at most.
        if isQuestion(base.text) != isQuestion(text) { problems.append("the mood changed") }
        if text.contains("?!") && !base.text.contains("?!") { problems.append("?! added") }
        if (text.contains("…") || text.contains("...")) && !base.text.contains("…") { problems.append("trails off") }
        let exclamations = { (s: String) in s.filter { $0 == "!" }.count }
        if exclamations(text) > exclamations(base.text) + 1 { problems.append("more than one ! added") }
        if base.language == "es", exclamations(text) > exclamations(base.text), !text.contains("¡") { problems.append("! without ¡") }
        // The base's words, in order, at the end: each the same or a vetted replacement; before them at most a
        // short hook, never one on a text that opens with a lead-in of its own.
        let baseWords = wording(base.text).split(separator: " ").map(String.init)
        let textWords = wording(text).split(separator: " ").map(String.init)
        guard textWords.count >= baseWords.count else { return problems + ["words are missing"] }
        let hook = textWords.prefix(textWords.count - baseWords.count)
        if hook.count > 3 { problems.append("a hook of \(hook.count) words") }
        if !hook.isEmpty && opensWithLeadIn(base.text) { problems.append("a hook stacked on \"\(base.text)\"") }
        for (written, used) in zip(baseWords, textWords.suffix(baseWords.count)) where written != used {
            let vetted = Lexicon.english.entries[written]?.alternatives.contains(used) ?? false
            if !vetted || base.language != "en" { problems.append("\(written) → \(used) is not a vetted replacement") }
        }
        if let replaced = variation.replaced {
            let reported = Set(replaced.map { "\($0.from.lowercased())→\($0.to.lowercased())" })
            let found = Set(zip(baseWords, textWords.suffix(baseWords.count)).filter { $0 != $1 }.map { "\($0)→\($1)" })
            if reported != found { problems.append("replaced says \(reported), the text \(found)") }
        }
        // After a hook: English, Spanish and Russian go on in lower case (but "I"); German keeps its capital.
        if !hook.isEmpty, let first = words(base.text).first, let textFirst = words(text).dropFirst(hook.count).first {
            let expected = ["en", "es", "ru"].contains(base.language) && first != "I" && !first.hasPrefix("I'") ? first.lowercased() : first
            let emphasised = isCapitalised(textFirst) && !isCapitalised(first)
            if textFirst != expected && !emphasised && textFirst.lowercased() == expected.lowercased() {
                problems.append("\"\(textFirst)\" after the hook, not \"\(expected)\"")
            }
        }
        return problems
    }
}

@Suite("Offline engine: the texts a person would post")
struct CaptionRulesTests {
    @Test func theFixtureHasFortyEnglishBasesAndTenInEachOtherLanguage() {
        let counts = Dictionary(grouping: CaptionRules.bases, by: \.language).mapValues(\.count)
        #expect(counts["en", default: 0] >= 40)
        for language in ["es", "de", "ru", "ar"] { #expect(counts[language, default: 0] >= 10, "\(language)") }
    }

    @Test func everyVariationOfEveryFixtureBaseKeepsTheRules() async throws {
        var texts = 0
        var replacing = 0
        for base in CaptionRules.bases {
            for seed in UInt64(1)...3 {
                let made = try await variations(base.text, count: 12, seed: seed)
                #expect(made.first?.text == base.text)
                #expect(Set(made.map { CaptionRules.wording($0.text) }).count == made.count, "\(made.map(\.text))")
                for variation in made.dropFirst() {
                    texts += 1
                    if !(variation.replaced ?? []).isEmpty { replacing += 1 }
                    let problems = CaptionRules.problems(variation, of: base)
                    #expect(problems.isEmpty, "\"\(variation.text)\" from \"\(base.text)\": \(problems)")
                }
            }
        }
        // Read by the closing note: how many of the variations changed a word.
        print("caption rules: \(texts) variations of \(CaptionRules.bases.count) bases, \(replacing) with a replaced word")
        #expect(texts > 300 && replacing > 40)
    }

    @Test func aWrittenInCapitalsTextKeepsItsCapitalsAndGetsNoMore() async throws {
        for variation in try await variations("HUGE sale on all shoes this weekend", count: 10).dropFirst() {
            #expect(variation.text.contains("HUGE sale on all shoes this weekend"), "\(variation.text)")
        }
    }

    @Test func theRulesCatchWhatTheOldEngineWrote() {
        // The checks themselves: each of these, written by the engine before this change, breaks one.
        let base = CaptionRules.Base(language: "en", kind: "cta", text: "Watch till the end")
        for old in [
            "Heads up: Watch till the end?!", "POV: Watch TILL THE END…", "Plot twist: Watch TILL the end", "Story time: Watch TILL THE END…",
        ] {
            #expect(!CaptionRules.problems(Variation(text: old), of: base).isEmpty, "\(old)")
        }
        let story = CaptionRules.Base(language: "en", kind: "story", text: "How I learned to cook in 30 days")
        #expect(!CaptionRules.problems(Variation(text: "How I knowing to ready in 30 days!"), of: story).isEmpty)
        let lead = CaptionRules.Base(language: "en", kind: "product", text: "New drop: the fire collection")
        #expect(!CaptionRules.problems(Variation(text: "POV: New drop: the fire collection"), of: lead).isEmpty)
    }
}

@Suite("Lexicon")
struct LexiconTests {
    @Test func everyEntryIsReadAndEveryAlternativeHasASource() {
        #expect(Lexicon.english.problems.isEmpty, "\(Lexicon.english.problems)")
        #expect(Lexicon.english.entries.count >= 60)
        for entry in Lexicon.english.entries.values {
            #expect(entry.sources.allSatisfy { $0 == "editor" || $0.hasPrefix("wn ") }, "\(entry.form)")
        }
    }

    @Test func everyWordNetSourceIsASynsetHoldingBothWords() throws {
        let wordNet = try WordNet()
        var checked = 0
        for entry in Lexicon.english.entries.values {
            for (alternative, source) in zip(entry.alternatives, entry.sources) where source != "editor" {
                let fields = source.split(separator: " ").map(String.init)
                let part = ["adj": "adj", "adv": "adv", "noun": "noun", "verb": "verb"][fields[1]]!
                let words = Set(wordNet.synset(part, at: Int(fields[2]) ?? -1))
                #expect(!words.isDisjoint(with: wordNet.baseForms(entry.form, part)), "\(entry.form): \(source) holds \(words)")
                #expect(!words.isDisjoint(with: wordNet.baseForms(alternative, part)), "\(alternative): \(source) holds \(words)")
                checked += 1
            }
        }
        #expect(checked >= 20)
    }
}
