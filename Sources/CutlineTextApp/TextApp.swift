import CutlineAdapters
import CutlineContracts
import CutlineCore
import CutlineMetrics
import CutlineRPC
public import CutlineServiceHost
public import CutlineSettings
public import CutlineTextEngines
import CutlineTracing
import CutlineWire
public import Logging

/// The TextService as assembled from its settings: its RPC server with `text.vary` over the engine the
/// settings chose.
public struct TextApp: Sendable {
    public let service: AssembledService
    public let engine: any TextEngine
}

/// The TextService's composition root: the engine is made (and checked) once, and logged.
public func buildTextService(_ settings: ServiceSettings, text: TextSettings, logger: Logger) async throws -> TextApp {
    Telemetry.bootstrap()
    let tracing = try TraceSetup.bootstrap(serviceName: "cutline-text").map { [$0] } ?? []
    let engine = try await text.makeEngine()
    logger.info("text engine chosen", metadata: ["engine": "\(engine.name)"])
    let handlers = TextHandlers(engine: engine)
    let rpc = ServiceHost.rpcServer(settings.rpc, logger: logger) { handlers.register(&$0) }
    let metrics = settings.metricsListen.map { [MetricsEndpoint.service(host: $0.host, port: Int($0.port), logger: logger)] } ?? []
    return TextApp(service: AssembledService(name: settings.name, rpcServer: rpc, services: tracing + metrics + [rpc]), engine: engine)
}

struct TextHandlers: Sendable {
    let engine: any TextEngine

    func register(_ router: inout RPCRouter) {
        router.register(TextContract.vary) { request, context in try await vary(request, context) }
    }

    func vary(_ request: VaryRequest, _ context: RPCContext) async throws -> VaryResponse {
        do throws(TextEngineError) {
            let variation = try VariationRequest(
                baseText: request.baseText, count: request.count, seed: request.seed,
                language: request.language, maxLength: request.maxLength, allowFewer: request.allowFewer ?? false)
            let made = try await TextVariations.make(variation, with: engine)
            context.logger.info("texts made", metadata: ["count": "\(made.count)", "engine": "\(engine.name)"])
            let replaced = made.contains { $0.replaced == nil } ? nil : made.map { $0.replaced ?? [] }
            return VaryResponse(texts: made.map(\.text), engine: engine.name, replaced: replaced)
        } catch {
            context.logger.warning("no texts", metadata: ["code": "\(error.code.rawValue)", "error": "\(error.message)"])
            throw error.rpcError
        }
    }
}

extension TextEngineError {
    /// The RPC answer: the engine's own code is its `detail`, so the Gateway can branch on it. Too few
    /// texts is the request's to change (a bad request); an engine that failed is this service's error.
    var rpcError: RPCError {
        switch code {
        case .badRequest: .badRequest(message)
        case .tooFew: .badRequest(message, detail: TextErrorDetail.tooFew)
        default: RPCError(.internalError, message, detail: code.rawValue)
        }
    }
}
