public import ArgumentParser
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
    }

    /// The engine, ready to use; its own checks (files found, key and model accepted) already made.
    public func makeEngine() async throws -> any TextEngine {
        switch engine {
        case .offline:
            return OfflineEngine(wordNet: try WordNet(directory: wordNetDirectory))
        case .gemini, .openai:
            throw ValidationError("the \(engine.rawValue) engine is not built yet; unset GEMINI_API_KEY and CUTLINE_TEXT_OPENAI_URL (or set CUTLINE_TEXT_ENGINE=offline)")
        }
    }
}
