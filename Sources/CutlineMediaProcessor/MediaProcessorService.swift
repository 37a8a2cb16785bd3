import ArgumentParser
import CutlineMediaProcessorApp
import CutlineServiceHost
import CutlineSettings
import Logging

@main
struct MediaProcessorService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutline-media-processor",
        abstract: "MediaProcessor: probes uploads and renders clips with the FFmpeg libraries.",
        discussion: "Listens on CUTLINE_MEDIA_RPC_LISTEN (default 127.0.0.1:7420). Every setting is a flag or a CUTLINE_* variable; a flag wins."
    )

    @OptionGroup var options: ServiceOptions
    @OptionGroup var storage: StorageOptions
    @OptionGroup var status: StatusOptions
    @OptionGroup var queue: QueueOptions
    @OptionGroup var media: MediaOptions

    func run() async throws {
        let settings = try ServiceSettings(
            service: "media", defaultListen: "127.0.0.1:7420", options: options, storage: storage, status: status, queue: queue)
        LogSetup.bootstrap(format: settings.common.logFormat, level: settings.common.logLevel)
        let logger = Logger(label: "cutline.media")
        try await ServiceHost.run(try buildMediaProcessor(settings, media: try MediaProcessorSettings(media), logger: logger).service, logger: logger)
    }
}
