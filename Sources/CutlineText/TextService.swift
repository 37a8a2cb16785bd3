import ArgumentParser
import CutlineServiceHost

@main
struct TextService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutline-text",
        abstract: "TextService: per-clip overlay text variations (Gemini or the local engine).",
        discussion: "Listens on CUTLINE_TEXT_RPC_LISTEN (default 127.0.0.1:7430). Every setting is a flag or a CUTLINE_* variable; a flag wins."
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceHost.run(service: "text", defaultListen: "127.0.0.1:7430", options: options)
    }
}
