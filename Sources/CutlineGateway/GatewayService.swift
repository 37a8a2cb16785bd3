import ArgumentParser
import CutlineServiceHost

@main
struct GatewayService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutline-gateway",
        abstract: "Gateway: the browser's HTTP API and web page (HTTP arrives with the Product issue); serves RPC for operators.",
        discussion: "Listens on CUTLINE_GATEWAY_RPC_LISTEN (default 127.0.0.1:7410). Every setting is a flag or a CUTLINE_* variable; a flag wins."
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceHost.run(service: "gateway", defaultListen: "127.0.0.1:7410", options: options)
    }
}
