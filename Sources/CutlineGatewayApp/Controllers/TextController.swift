import CutlineContracts
import CutlineJobFlow
import Hummingbird

/// `POST /api/text/variations`: per-clip texts from the TextService, to preview before a job starts.
struct TextController {
    let flow: JobFlow

    var endpoints: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.post("text/variations", use: variations)
        return routes
    }

    struct VariationsRequest: Decodable {
        let baseText: String
        let count: Int
        let seed: UInt64?
        let language: String?
        let maxLength: Int?
        let allowFewer: Bool?
    }

    struct VariationsResponse: ResponseEncodable {
        let texts: [String]
        let engine: String
        let replaced: [[TextReplacement]]?
    }

    @Sendable func variations(_ request: Request, context: APIRequestContext) async throws -> VariationsResponse {
        let body = try await request.decode(as: VariationsRequest.self, context: context)
        let answer = try await flow.vary(
            VaryRequest(
                baseText: body.baseText, count: body.count, seed: body.seed, language: body.language,
                maxLength: body.maxLength, allowFewer: body.allowFewer))
        return VariationsResponse(texts: answer.texts, engine: answer.engine, replaced: answer.replaced)
    }
}
