import CutlineContracts
import Foundation
import Testing

@testable import CutlineTextEngines

func vary(_ base: String, count: Int, seed: UInt64 = 7, maxLength: Int? = nil, language: String? = nil) async throws -> [String] {
    try await variations(base, count: count, seed: seed, maxLength: maxLength, language: language, allowFewer: false).map(\.text)
}

func variations(
    _ base: String, count: Int, seed: UInt64 = 7, maxLength: Int? = nil, language: String? = nil, allowFewer: Bool = true
) async throws -> [Variation] {
    let request = try VariationRequest(baseText: base, count: count, seed: seed, language: language, maxLength: maxLength, allowFewer: allowFewer)
    return try await TextVariations.make(request, with: OfflineEngine())
}

@Suite("Offline engine")
struct OfflineEngineTests {
    @Test func givesExactlyTheCountAllDistinctAndTheBaseFirst() async throws {
        let texts = try await vary("This trick will change your life", count: 20)
        #expect(texts.count == 20)
        #expect(Set(texts.map(CaptionRules.wording)).count == 20, "differ in more than case and punctuation: \(texts)")
        #expect(texts.first == "This trick will change your life")
        #expect(texts.allSatisfy { !$0.isEmpty && $0.count <= VariationRequest.defaultMaxLength })
    }

    @Test(arguments: [
        ("This trick will change your life", "change", true),
        ("A change of plans for the weekend", "change", false),
        ("Try this simple trick", "trick", true),
        ("Don't let them trick you", "trick", false),
        ("The easiest pasta you will make", "easiest", true),
        ("Keep it simple, it works", "simple", false),
        ("Don't miss the last day of the sale", "last", true),
        ("We went there last week", "last", false),
        ("Which one would you pick?", "pick", true),
        ("Pick up your order today", "pick", false),
        ("Our new candles smell amazing", "amazing", true),
        ("A quick question for you", "quick", false),
        ("Crazy in love with this song", "crazy", false),
        ("The crazy part is the ending", "crazy", true),
        ("The best deals are here", "deals", true),
        ("It is a big deal for us", "deal", false),
    ])
    func replacesAWordOnlyWhereTheSentenceUsesItAsItsEntrySays(sentence: String, word: String, replaced: Bool) async throws {
        let words = try await variations(sentence, count: 60).flatMap { $0.replaced ?? [] }.map { $0.from.lowercased() }
        #expect(words.contains(word) == replaced, "\(word) in \"\(sentence)\": replaced \(words)")
    }

    @Test func theExamplesFromTheBugReportNoLongerComeOut() async throws {
        let bad: [(base: String, words: [String])] = [
            ("New drop: the fire collection", ["discharge", "COLLECTION", "POV:"]),
            ("Don't miss the last day of the sale", ["lose", "DON'T", "!!"]),
            ("How I learned to cook in 30 days", ["erudite", "knowing", "ready", "?!", "HOW I"]),
            ("Our best summer deals are here — shop now", ["patronize", "patronise", "frequent", "Hot take", "…"]),
            ("Watch till the end", ["TILL", "Plot twist", "POV", "…", "?!"]),
        ]
        for (base, words) in bad {
            for seed in UInt64(0)..<40 {
                for text in try await variations(base, count: 30, seed: seed).map(\.text) {
                    for word in words { #expect(!text.contains(word), "\(word) in \"\(text)\"") }
                    #expect(!text.lowercased().contains("erudite"))
                }
            }
        }
    }

    @Test func theSameSeedGivesTheSameTextsAndAnotherSeedOthers() async throws {
        let base = "Wait until you see the ending, it is amazing"
        let first = try await vary(base, count: 12, seed: 1)
        #expect(try await vary(base, count: 12, seed: 1) == first)
        let other = try await vary(base, count: 12, seed: 2)
        #expect(other != first)
        #expect(Set(other) != Set(first))
    }

    @Test func namesNumbersTagsHandlesEmojiAndURLsAreNeverTouched() async throws {
        let kept = ["Paris", "2024", "#travel", "@cutline", "🎉", "https://example.com/a?b=1", "iPhone"]
        let texts = try await variations(
            "Honestly Paris in 2024 was great with my iPhone #travel @cutline 🎉 https://example.com/a?b=1", count: 60, maxLength: 200)
        #expect(texts.count > 2)
        for text in texts.map(\.text) {
            for token in kept { #expect(text.contains(token), "\(token) changed in: \(text)") }
        }
    }

    @Test func aBaseItCannotVaryWellIsTooFewAndSaysHowManyItMade() async throws {
        await #expect {
            _ = try await vary("Best day ever", count: 5)
        } throws: { error in
            guard let error = error as? TextEngineError else { return false }
            return error.code == .tooFew && error.message.contains("gave 1 distinct texts") && error.message.contains("not the 5 asked for")
        }
        // With allow_fewer it answers what it is sure of.
        #expect(try await variations("Best day ever", count: 5).map(\.text) == ["Best day ever"])
    }

    @Test func hostileInputIsCleanedAndStillVaried() async throws {
        let controls = try await variations("watch\u{0007}\u{0000} this\u{001B}[31m now\t\tplease", count: 5).map(\.text)
        #expect(controls.count > 1, "\(controls)")
        #expect(controls.allSatisfy { !$0.unicodeScalars.contains { $0.properties.generalCategory == .control } }, "\(controls)")
        let long = String(repeating: "word ", count: 100).trimmingCharacters(in: .whitespaces)
        #expect(try await variations(long, count: 3, maxLength: 1000).count >= 1)
        let emoji = try await variations("🎉🔥💯", count: 5).map(\.text)
        #expect(emoji.allSatisfy { $0.contains("🎉🔥💯") }, "\(emoji)")
    }

    @Test func requestsOutsideTheContractAreRefusedWithTheReason() {
        #expect(throws: TextEngineError.badRequest("the base text is empty; give the text the variations come from")) {
            try VariationRequest(baseText: "  \n ", count: 3)
        }
        #expect(throws: TextEngineError.self) { try VariationRequest(baseText: String(repeating: "a", count: 501), count: 3) }
        // Found by schemathesis: a base text of only control characters is empty once cleaned.
        #expect(throws: TextEngineError.badRequest("the base text is empty; give the text the variations come from")) {
            try VariationRequest(baseText: "\u{0081}\u{0007}", count: 210)
        }
        for count in [0, 501] {
            #expect(throws: TextEngineError.self) { try VariationRequest(baseText: "ok", count: count) }
        }
    }

    @Test func aBaseLongerThanTheLimitIsRefusedWithTheReason() async throws {
        await #expect {
            _ = try await vary(String(repeating: "long words ", count: 12), count: 3)
        } throws: { error in
            (error as? TextEngineError).map { $0.code == .badRequest && $0.message.contains("more than max_length 100") } ?? false
        }
    }
}

@Suite("Text clean-up")
struct TextCleanerTests {
    @Test(arguments: [
        ("  \"Hello   world\"  ", "Hello world"),
        ("1. First idea", "First idea"),
        ("- a dash item", "a dash item"),
        ("• bullet", "bullet"),
        ("“Curly quotes”", "Curly quotes"),
        ("line one\n\n  line two ", "line one\nline two"),
        ("tab\there", "tab here"),
        ("2024 was a year", "2024 was a year"),
        ("\"unbalanced", "\"unbalanced"),
    ])
    func cleansWhatModelsAdd(raw: String, clean: String) {
        #expect(TextCleaner.clean(raw) == clean)
    }
}
