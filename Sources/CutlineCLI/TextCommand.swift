import ArgumentParser
import CutlineAdapters
import CutlineContracts
import CutlineSettings
import CutlineTextEngines
import Foundation

struct TextCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "Per-clip overlay texts, straight from a text engine (no service needed).",
        subcommands: [Vary.self]
    )

    struct Vary: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print COUNT variations of a base text and the engine that made them.",
            discussion: """
                The engine is the one the TextService would use: gemini when GEMINI_API_KEY is set, openai when \
                CUTLINE_TEXT_OPENAI_URL is, else offline; --engine picks one. The quickest way to see that a key \
                and a model work: a refused key, an unknown model or no network is one line saying which, and a \
                non-zero exit.
                """
        )

        @Argument(help: "The base text (at most 500 characters).")
        var baseText: String

        @Option(help: "How many texts (1 to 500).")
        var count: Int = 5

        @Option(help: "The same seed gives the same texts (offline engine; a model may vary).")
        var seed: UInt64?

        @Option(help: "gemini, openai or offline (default: from the environment, as the TextService chooses).")
        var engine: TextSettings.Engine?

        @Option(help: "A language code for the texts (default: the base text's).")
        var language: String?

        @Option(help: "The longest text, in characters (default 100: two lines at the default style).")
        var maxLength: Int?

        @Flag(help: "Print {texts, engine} as JSON.")
        var json = false

        @Flag(help: "Show the words each text replaced (offline engine), as \"fire → flame\"; with --json, `replaced`.")
        var explain = false

        @Flag(help: "Print the texts the engine is sure of, up to COUNT, rather than failing with too_few.")
        var fewer = false

        func run() async throws {
            do {
                let request = try VariationRequest(
                    baseText: baseText, count: count, seed: seed, language: language, maxLength: maxLength, allowFewer: fewer)
                let made = try await TextSettings(engine: engine?.rawValue).makeEngine()
                let variations = try await TextVariations.make(request, with: made)
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                    let replaced = explain ? variations.map { $0.replaced ?? [] } : nil
                    let answer = VaryResponse(texts: variations.map(\.text), engine: made.name, replaced: replaced)
                    print(String(decoding: try encoder.encode(answer), as: UTF8.self))
                } else {
                    print("\(variations.count) text\(variations.count == 1 ? "" : "s") from \(made.name) (seed \(request.seed)):")
                    for (index, variation) in variations.enumerated() {
                        print(String(format: "%4d  ", index + 1) + variation.text)
                        guard explain else { continue }
                        let words = variation.replaced.map { $0.map { "\($0.from) → \($0.to)" } } ?? ["(rewritten by the model)"]
                        if !words.isEmpty { print("      replaced: " + words.joined(separator: ", ")) }
                    }
                }
            } catch let error as TextEngineError {
                fail("\(error.code.rawValue): \(error.message)")
            } catch let error as ValidationError {
                fail(error.message)
            }
        }

        private func fail(_ message: String) -> Never {
            FileHandle.standardError.write(Data("cutline text vary: \(message)\n".utf8))
            Foundation.exit(1)
        }
    }
}
