public import ArgumentParser
import CutlineHTTP
public import CutlineTextEngines
public import Foundation

/// Which text engine the TextService (and `cutline text vary`) uses, from configuration: Gemini when
/// `GEMINI_API_KEY` is set, an OpenAI-compatible server when `CUTLINE_TEXT_OPENAI_URL` is, else the
/// offline engine; `CUTLINE_TEXT_ENGINE` (or `--engine`) picks one explicitly.
public struct TextSettings: Sendable {
    public enum Engine: String, Sendable, CaseIterable, ExpressibleByArgument {
        case gemini, openai, offline
    }

    public let engine: Engine
    public let wordNetDirectory: URL
    let environment: [String: String]

    public init(engine explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let choice = Setting(flag: "engine", env: "CUTLINE_TEXT_ENGINE", value: explicit, environment: environment)
        if let raw = choice.raw {
            guard let engine = Engine(rawValue: raw.lowercased()) else {
                throw ValidationError("\(choice.name): \"\(raw)\" is not an engine; use gemini, openai or offline")
            }
            self.engine = engine
        } else if !(environment["GEMINI_API_KEY"] ?? "").isEmpty {
            engine = .gemini
        } else if !(environment["CUTLINE_TEXT_OPENAI_URL"] ?? "").isEmpty {
            engine = .openai
        } else {
            engine = .offline
        }
        wordNetDirectory = URL(fileURLWithPath: environment["CUTLINE_WORDNET_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? WordNet.defaultDirectory.path)
        self.environment = environment
    }

    private func value(_ name: String) -> String? {
        environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The engine, ready to use; its own checks (files found, key and model accepted) already made.
    public func makeEngine() async throws -> any TextEngine {
        switch engine {
        case .offline:
            return OfflineEngine(wordNet: try WordNet(directory: wordNetDirectory))
        case .gemini:
            guard let key = value("GEMINI_API_KEY") else {
                throw TextEngineError(.unauthenticated, "the gemini engine needs GEMINI_API_KEY")
            }
            return try await GeminiEngine.make(key: key, model: value("CUTLINE_GEMINI_MODEL") ?? GeminiEngine.defaultModel, client: try HTTPClient())
        case .openai:
            guard let text = value("CUTLINE_TEXT_OPENAI_URL"), let url = URL(string: text), let scheme = url.scheme,
                ["http", "https"].contains(scheme), url.host != nil
            else {
                throw TextEngineError(
                    .badRequest,
                    "the openai engine needs CUTLINE_TEXT_OPENAI_URL, the server's base URL such as http://127.0.0.1:11434/v1 (got \(value("CUTLINE_TEXT_OPENAI_URL") ?? "nothing"))"
                )
            }
            guard let model = value("CUTLINE_TEXT_OPENAI_MODEL") else {
                throw TextEngineError(
                    .badRequest, "the openai engine needs CUTLINE_TEXT_OPENAI_MODEL (e.g. llama3.2 for Ollama, gpt-4o-mini for OpenAI)")
            }
            return try await OpenAIEngine.make(baseURL: url, model: model, key: value("CUTLINE_TEXT_OPENAI_KEY"), client: try HTTPClient())
        }
    }
}
