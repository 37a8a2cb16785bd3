import ArgumentParser
import CutlineServiceHost
import CutlineSettings
import CutlineTextApp
import Logging

@main
struct TextService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutline-text",
        abstract: "TextService: per-clip overlay text variations (text.vary) from Gemini, an OpenAI-compatible server, or the offline engine.",
        discussion: "Listens on CUTLINE_TEXT_RPC_LISTEN (default 127.0.0.1:7430). Every setting is a flag or a CUTLINE_* variable; a flag wins."
    )

    @OptionGroup var options: ServiceOptions

    @Option(
        name: .customLong("engine"),
        help:
            "gemini, openai or offline. Env CUTLINE_TEXT_ENGINE; default: gemini when GEMINI_API_KEY is set, openai when CUTLINE_TEXT_OPENAI_URL is, else offline."
    )
    var engine: String?

    func run() async throws {
        let settings = try ServiceSettings(service: "text", defaultListen: "127.0.0.1:7430", options: options)
        LogSetup.bootstrap(format: settings.common.logFormat, level: settings.common.logLevel)
        let logger = Logger(label: "cutline.text")
        try await ServiceHost.run(
            try await buildTextService(settings, text: try TextSettings(engine: engine), logger: logger).service, logger: logger)
    }
}
