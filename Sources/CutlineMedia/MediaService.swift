import ArgumentParser
import CutlineServiceHost

@main
struct MediaService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutline-media",
        abstract: "MediaProcessor: probes uploads and renders clips with the FFmpeg libraries.",
        discussion: "Listens on CUTLINE_MEDIA_RPC_LISTEN (default 127.0.0.1:7420). Every setting is a flag or a CUTLINE_* variable; a flag wins."
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceHost.run(service: "media", defaultListen: "127.0.0.1:7420", options: options)
    }
}
