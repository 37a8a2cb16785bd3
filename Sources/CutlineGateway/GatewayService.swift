import ArgumentParser
import CutlineGatewayApp
import CutlineServiceHost
import CutlineSettings
import Logging

@main
struct GatewayService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutline-gateway",
        abstract: "Gateway: the browser's HTTP API (uploads, job status) and the embedded store's signed URLs; serves RPC for operators.",
        discussion:
            "HTTP on CUTLINE_GATEWAY_HTTP_LISTEN (default 127.0.0.1:8080), RPC on CUTLINE_GATEWAY_RPC_LISTEN (default 127.0.0.1:7410). Every setting is a flag or a CUTLINE_* variable; a flag wins."
    )

    @OptionGroup var options: ServiceOptions
    @OptionGroup var storage: StorageOptions
    @OptionGroup var status: StatusOptions
    @OptionGroup var queue: QueueOptions
    @OptionGroup var gateway: GatewayOptions

    func run() async throws {
        let settings = try ServiceSettings(
            service: "gateway", defaultListen: "127.0.0.1:7410", options: options, storage: storage, status: status, queue: queue)
        let http = try GatewayHTTPSettings(gateway, publicURL: storage.publicURL)
        LogSetup.bootstrap(format: settings.common.logFormat, level: settings.common.logLevel)
        let logger = Logger(label: "cutline.gateway")
        try await ServiceHost.run(try buildGateway(settings, http: http, logger: logger).service, logger: logger)
    }
}
