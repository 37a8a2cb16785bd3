import ArgumentParser
import CutlineServiceHost
import CutlineSettings
import CutlineTextApp
import Logging

@main
struct TextService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutline-text",
        abstract: "TextService: per-clip overlay text variations (the engines arrive with the TextService issue); serves RPC health today.",
        discussion: "Listens on CUTLINE_TEXT_RPC_LISTEN (default 127.0.0.1:7430). Every setting is a flag or a CUTLINE_* variable; a flag wins."
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let settings = try ServiceSettings(service: "text", defaultListen: "127.0.0.1:7430", options: options)
        LogSetup.bootstrap(format: settings.common.logFormat, level: settings.common.logLevel)
        let logger = Logger(label: "cutline.text")
        try await ServiceHost.run(try buildTextService(settings, logger: logger).service, logger: logger)
    }
}
