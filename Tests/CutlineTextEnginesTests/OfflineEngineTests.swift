import CutlineTextEngines
import Foundation
import Testing

/// WordNet is read once for all the tests (a second or two in a debug build).
let sharedWordNet: Result<WordNet, TextEngineError> = Result { () throws(TextEngineError) in try WordNet() }

func offline() throws -> OfflineEngine {
    OfflineEngine(wordNet: try sharedWordNet.get())
}

func vary(_ base: String, count: Int, seed: UInt64 = 7, maxLength: Int? = nil, language: String? = nil) async throws -> [String] {
    let request = try VariationRequest(baseText: base, count: count, seed: seed, language: language, maxLength: maxLength)
    return try await TextVariations.make(request, with: try offline())
}

@Suite("Offline engine")
struct OfflineEngineTests {
    @Test func givesExactlyTheCountAllDistinctAndTheBaseFirst() async throws {
        let texts = try await vary("This trick will change your life", count: 20)
        #expect(texts.count == 20)
        #expect(Set(texts.map { $0.lowercased() }).count == 20, "\(texts)")
        #expect(texts.first == "This trick will change your life")
        #expect(texts.allSatisfy { !$0.isEmpty && $0.count <= VariationRequest.defaultMaxLength })
    }

    @Test func usesWordNetSynonymsOfAdjectivesAndVerbs() async throws {
        let texts = try await vary("A quick and happy dog", count: 200)
        let words = Set(texts.joined(separator: " ").lowercased().split(whereSeparator: { !$0.isLetter }).map(String.init))
        // quick → speedy/fast/flying, happy → felicitous/glad (WordNet 3.0's first senses).
        #expect(!words.isDisjoint(with: ["speedy", "fast", "flying"]), "\(texts.prefix(40))")
        #expect(!words.isDisjoint(with: ["glad", "felicitous"]), "\(texts.prefix(40))")
        #expect(words.contains("dog"), "nouns stay")
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
        let texts = try await vary("Paris in 2024 was great #travel @cutline 🎉 https://example.com/a?b=1 iPhone", count: 60, maxLength: 200)
        #expect(texts.count == 60)
        for text in texts {
            for token in kept { #expect(text.contains(token), "\(token) changed in: \(text)") }
        }
    }

    @Test(arguments: [
        ("¡Qué día tan increíble en la playa!", "es"),
        ("Das ist der beste Tag, den ich je hatte", "de"),
        ("Это был лучший день в моей жизни", "ru"),
        ("كان هذا أفضل يوم في حياتي", "ar"),
    ])
    func otherLanguagesVaryTheirPunctuationAndOrderWithoutBreakingCharacters(base: String, language: String) async throws {
        let texts = try await vary(base, count: 10)
        #expect(texts.count == 10 && Set(texts).count == 10)
        let baseLetters = Set(base.unicodeScalars.filter { $0.properties.isAlphabetic })
        for text in texts {
            // Every letter of every text is one of the base text's or of the engine's words in that
            // language: nothing half-encoded, no script mixed in.
            #expect(text.unicodeScalars.allSatisfy { $0.properties.generalCategory != .unassigned && $0 != "\u{FFFD}" })
            let letters = Set(text.unicodeScalars.filter { $0.properties.isAlphabetic })
            let foreign = letters.subtracting(baseLetters).subtracting(Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ".unicodeScalars))
            #expect(foreign.allSatisfy { scalar in Self.sameScript(scalar, as: base) }, "\(language): \(text)")
        }
    }

    static func sameScript(_ scalar: Unicode.Scalar, as text: String) -> Bool {
        let ranges: [ClosedRange<UInt32>] = [0x0041...0x024F, 0x0400...0x04FF, 0x0600...0x06FF]
        guard let range = ranges.first(where: { $0.contains(scalar.value) }) else { return false }
        return text.unicodeScalars.contains { range.contains($0.value) }
    }

    @Test func fiveHundredTextsFromOneBase() async throws {
        let texts = try await vary("Party time", count: 500)
        #expect(texts.count == 500 && Set(texts.map { $0.lowercased() }).count == 500)
    }

    @Test func hostileInputIsCleanedAndStillVaried() async throws {
        let controls = try await vary("Hello\u{0007}\u{0000} world\u{001B}[31m now\t\tplease", count: 5)
        #expect(controls.allSatisfy { !$0.unicodeScalars.contains { $0.properties.generalCategory == .control } }, "\(controls)")
        let long = String(repeating: "word ", count: 100).trimmingCharacters(in: .whitespaces)
        #expect(try await vary(long, count: 3, maxLength: 1000).count == 3)
        let emoji = try await vary("🎉🔥💯", count: 5)
        #expect(emoji.count == 5 && emoji.allSatisfy { $0.contains("🎉🔥💯") }, "\(emoji)")
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

    @Test func aLimitTooShortForTheCountSaysHowManyItGot() async throws {
        await #expect {
            _ = try await vary("Go", count: 50, maxLength: 4)
        } throws: { error in
            (error as? TextEngineError)?.code == .tooFew && (error as? TextEngineError)?.message.contains("not the 50 asked for") == true
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
