import CutlineContracts
import CutlineRPC
import CutlineTextEngines
import CutlineWire
import Foundation
import Hummingbird

/// Per-clip texts from the TextService: previewed through `POST /api/text/variations`, or asked for
/// once when a job in `vary` mode is started without its texts.
extension GatewayAPI {
    struct VariationsRequest: Decodable {
        let baseText: String
        let count: Int
        let seed: UInt64?
        let language: String?
        let maxLength: Int?
    }

    struct VariationsResponse: Encodable {
        let texts: [String]
        let engine: String
    }

    func variations(_ request: Request) async throws -> Response {
        let body = try await JSONBody.decode(VariationsRequest.self, from: request)
        // Checked here by the contract's own rules, so a bad request never waits on the TextService.
        do {
            _ = try VariationRequest(baseText: body.baseText, count: body.count, seed: body.seed, language: body.language, maxLength: body.maxLength)
        } catch {
            throw APIError(.unprocessableContent, "bad_variations", error.message)
        }
        let answer = try await vary(VaryRequest(baseText: body.baseText, count: body.count, seed: body.seed, language: body.language, maxLength: body.maxLength))
        return try JSONBody.response(VariationsResponse(texts: answer.texts, engine: answer.engine))
    }

    /// Asks the TextService; its answers become the API's: a bad request (or more texts than the engine
    /// can make within the length) 422 with its reason, the service down 503 (nothing else depends on
    /// it), an engine that failed 502 with what it said.
    func vary(_ request: VaryRequest) async throws -> VaryResponse {
        do {
            return try await text.call(TextContract.vary, request, timeout: .seconds(60))
        } catch let error as RPCError {
            switch error.code {
            case .badRequest:
                throw APIError(.unprocessableContent, "bad_variations", error.message)
            case .unavailable where !error.message.hasPrefix("["):
                throw APIError(.serviceUnavailable, "text_unavailable", "the TextService cannot be reached (\(error.message)); try again shortly, or give the texts yourself")
            case _ where error.message.hasPrefix("[too_few]"):
                // Fewer distinct texts than asked within the length: the request can change, not the engine.
                throw APIError(.unprocessableContent, "too_few", String(error.message.dropFirst("[too_few] ".count)))
            default:
                throw APIError(.badGateway, "text_engine_failed", "the text engine could not make the variations: \(error.message)")
            }
        }
    }
}
