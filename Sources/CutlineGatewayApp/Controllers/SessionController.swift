import Hummingbird
import Logging

/// `GET /api/session` (whether this Gateway needs the token, and whether this caller has shown it),
/// `POST /api/session` (the page's sign-in: the token in, an HttpOnly session cookie out) and
/// `DELETE /api/session` (sign out). Outside the token check, since it is how the page gets past it.
struct SessionController {
    let credential: APICredential?

    var endpoints: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.get(use: session)
        routes.post(use: signIn)
        routes.delete(use: signOut)
        return routes
    }

    struct SignIn: Decodable {
        let token: String
    }

    struct SessionAnswer: ResponseEncodable {
        let tokenRequired: Bool
        let signedIn: Bool
    }

    @Sendable func session(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<SessionAnswer> {
        let signedIn = credential?.accepts(request) ?? true
        return EditedResponse(headers: [.cacheControl: "no-store"], response: SessionAnswer(tokenRequired: credential != nil, signedIn: signedIn))
    }

    @Sendable func signIn(_ request: Request, context: APIRequestContext) async throws -> Response {
        let body = try await request.decode(as: SignIn.self, context: context)
        guard let credential else {
            throw APIError.badRequest("this Gateway has no token (CUTLINE_API_TOKEN is not set): its API needs no sign-in")
        }
        guard credential.acceptsToken(body.token) else {
            context.logger.notice("sign-in refused: not this Gateway's token")
            throw APIError(.unauthorized, "unauthorized", "that is not this Gateway's token (CUTLINE_API_TOKEN)")
        }
        var response = Response(status: .noContent, headers: [.cacheControl: "no-store"])
        response.setCookie(credential.session())
        return response
    }

    @Sendable func signOut(_ request: Request, context: APIRequestContext) async throws -> Response {
        var response = Response(status: .noContent, headers: [.cacheControl: "no-store"])
        if let credential { response.setCookie(credential.signedOut) }
        return response
    }
}
