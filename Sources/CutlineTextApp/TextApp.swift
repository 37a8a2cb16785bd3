public import CutlineServiceHost
public import CutlineSettings
public import Logging

/// The TextService as assembled from its settings: today its RPC server (health); the text engines
/// join it with the TextService issue.
public struct TextApp: Sendable {
    public let service: AssembledService
}

/// The TextService's composition root.
public func buildTextService(_ settings: ServiceSettings, logger: Logger) throws -> TextApp {
    let rpc = ServiceHost.rpcServer(settings.rpc, logger: logger)
    return TextApp(service: AssembledService(name: settings.name, rpcServer: rpc, services: [rpc]))
}
