import CutlineJobFlow
import Hummingbird
import NIOCore

/// `GET /api/health` (whether the services behind the Gateway answer: the page asks when a running job
/// has not moved for a while, so it can say why) and `GET /api/openapi.yaml` (the API's contract).
struct SystemController {
    let flow: JobFlow

    var endpoints: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.get("health", use: health)
        routes.get("openapi.yaml", use: openAPI)
        return routes
    }

    struct HealthAnswer: ResponseEncodable {
        struct Service: Encodable {
            let reachable: Bool
            /// Why not, when it is not.
            let message: String?

            init(_ problem: String?) {
                reachable = problem == nil
                message = problem
            }
        }
        let media: Service
        let text: Service
    }

    @Sendable func health(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<HealthAnswer> {
        let problems = await flow.health()
        return EditedResponse(headers: [.cacheControl: "no-store"], response: HealthAnswer(media: .init(problems.media), text: .init(problems.text)))
    }

    @Sendable func openAPI(_ request: Request, context: APIRequestContext) async throws -> Response {
        guard let text = OpenAPIDocument.text else {
            throw APIError(.internalServerError, "internal", "this Gateway was built without its openapi.yaml resource")
        }
        return Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
