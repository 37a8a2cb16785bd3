public import CutlineJobFlow
import Foundation
public import Hummingbird
import Logging
import NIOCore

/// Every error the API answers: the right 4xx (or 5xx for the server's own failures) and
/// `{"error": {"code": "...", "message": "..."}}`, the message worded for the person who sent it.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public static func badRequest(_ message: String) -> APIError { .init(.badRequest, "bad_request", message) }
    public static func notFound(_ message: String) -> APIError { .init(.notFound, "not_found", message) }
    public static func conflict(_ message: String) -> APIError { .init(.conflict, "conflict", message) }
    public static func forbidden(_ message: String) -> APIError { .init(.forbidden, "forbidden", message) }

    /// The one place a step's failure becomes an HTTP status.
    public init(_ error: JobFlowError) {
        let status: HTTPResponse.Status =
            switch error.kind {
            case .badRequest: .badRequest
            case .notFound: .notFound
            case .conflict: .conflict
            case .unprocessable: .unprocessableContent
            case .tooLarge: .contentTooLarge
            case .unsupportedMediaType: .unsupportedMediaType
            case .unavailable: .serviceUnavailable
            case .upstreamFailed: .badGateway
            case .internalFailure: .internalServerError
            }
        self.init(status, error.code, error.message)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ByteBuffer(bytes: try APIJSON.encoder.encode(ErrorBody(error: .init(code: code, message: message))))
        var response = APIJSON.response(body, status: status)
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }

    struct ErrorBody: Encodable {
        struct Detail: Encodable {
            let code: String
            let message: String
        }
        let error: Detail
    }
}

/// Turns every failure on the way into the API's JSON error: unknown routes and methods (404/405),
/// anything thrown that is not an `APIError` (500, logged with its detail; the person gets a line, not
/// internals).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            return response
        } catch let error as APIError {
            throw error
        } catch let error as JobFlowError {
            if error.kind == .internalFailure {
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            throw APIError(error)
        } catch let error as HTTPError {
            switch error.status {
            case .notFound: throw APIError.notFound("no such route: \(request.method) \(request.uri.path)")
            case .methodNotAllowed: throw APIError(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path)")
            default: throw APIError(error.status, "http_\(error.status.code)", error.body ?? error.status.reasonPhrase)
            }
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            throw APIError(.internalServerError, "internal", "the Gateway failed to answer (\(type(of: error))); see its log")
        }
    }
}
