public import Foundation
public import Hummingbird
import NIOCore

/// Every Gateway request's context: the API's JSON coders (snake_case keys, ISO 8601 dates, errors that
/// name the field) and a 1 MiB cap on bodies it decodes; a route may lower the cap (`BodyLimit`).
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var maxUploadSize = 1 << 20

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    public var requestDecoder: APIDecoder { APIDecoder() }
    public var responseEncoder: APIEncoder { APIEncoder() }
}

/// Lowers the body cap for the routes behind it (a preview's body is a text and a style).
struct BodyLimit: RouterMiddleware {
    typealias Context = APIRequestContext
    let bytes: Int

    func handle(_ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response) async throws -> Response
    {
        var context = context
        context.maxUploadSize = min(context.maxUploadSize, bytes)
        return try await next(request, context)
    }
}

/// The API's JSON: snake_case keys both ways, sorted keys out, ISO 8601 dates.
public enum APIJSON {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// A JSON answer from bytes already encoded.
    static func response(_ body: ByteBuffer, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: body))
    }
}

public struct APIEncoder: ResponseEncoder {
    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        APIJSON.response(ByteBuffer(bytes: try APIJSON.encoder.encode(value)))
    }
}

/// Decodes a request's JSON body within the context's cap; what is wrong is said in the API's own field
/// names ("cutting.seconds is missing"), as a 400, and an oversized body is a 413.
public struct APIDecoder: RequestDecoder {
    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        // A form or text/plain POST is what a page elsewhere can send without asking (no CORS preflight),
        // so only a body typed as JSON is read.
        let type = request.headers[.contentType] ?? ""
        guard type.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "application/json" else {
            throw APIError(
                .unsupportedMediaType, "unsupported_media_type",
                "the body must be sent as Content-Type: application/json (got \(type.isEmpty ? "no type" : "'\(type.prefix(100))'"))")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw APIError(.contentTooLarge, "too_large", "the request body is over \(context.maxUploadSize) bytes")
        }
        do {
            return try APIJSON.decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError.badRequest("the body is not a valid request: \(Self.describe(error))")
        } catch {
            throw APIError.badRequest("the body is not JSON: \(error.localizedDescription)")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? snake($0.stringValue) }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(let type, let context): return "\(path(context.codingPath)) must be \(typeName(type))"
        case .valueNotFound(let type, let context): return "\(path(context.codingPath)) must be \(typeName(type)), not null"
        case .dataCorrupted(let context):
            guard !context.codingPath.isEmpty else { return "it is not valid JSON" }
            // A named choice says what it may be ("is \"fixed\" or \"random\", not …"); others are Foundation's words.
            let separator = context.debugDescription.hasPrefix("is ") ? " " : ": "
            return "\(path(context.codingPath))\(separator)\(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is UInt64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: "\(type)".lowercased().contains("array") ? "an array" : "an object"
        }
    }

    static func snake(_ key: String) -> String {
        key.reduce(into: "") { out, character in
            if character.isUppercase { out += "_" + character.lowercased() } else { out.append(character) }
        }
    }
}
