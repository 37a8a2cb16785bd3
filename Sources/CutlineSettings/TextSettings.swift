public import ArgumentParser
public import Foundation

/// Which text engine the TextService (and `cutline text vary`) uses, from configuration: Gemini when
/// `GEMINI_API_KEY` is set, an OpenAI-compatible server when `CUTLINE_TEXT_OPENAI_URL` is, else the
/// offline engine; `CUTLINE_TEXT_ENGINE` (or `--engine`) picks one explicitly. Plain values: `CutlineAdapters`
/// makes the engine.
public struct TextSettings: Sendable {
    public enum Engine: String, Sendable, CaseIterable, ExpressibleByArgument {
        case gemini, openai, offline
    }

    public let engine: Engine
    public let geminiKey: String?
    public let geminiModel: String?
    /// The OpenAI-compatible server's base URL as configured; the engine checks it when it is made.
    public let openAIURL: String?
    public let openAIModel: String?
    public let openAIKey: String?

    public init(engine explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let choice = Setting(flag: "engine", env: "CUTLINE_TEXT_ENGINE", value: explicit, environment: environment)
        if let raw = choice.raw {
            guard let engine = Engine(rawValue: raw.lowercased()) else {
                throw ValidationError("\(choice.name): \"\(raw)\" is not an engine; use gemini, openai or offline")
            }
            self.engine = engine
        } else if value("GEMINI_API_KEY") != nil {
            engine = .gemini
        } else if value("CUTLINE_TEXT_OPENAI_URL") != nil {
            engine = .openai
        } else {
            engine = .offline
        }
        geminiKey = value("GEMINI_API_KEY")
        geminiModel = value("CUTLINE_GEMINI_MODEL")
        openAIURL = value("CUTLINE_TEXT_OPENAI_URL")
        openAIModel = value("CUTLINE_TEXT_OPENAI_MODEL")
        openAIKey = value("CUTLINE_TEXT_OPENAI_KEY")
    }
}
