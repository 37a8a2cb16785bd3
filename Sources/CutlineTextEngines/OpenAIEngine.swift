public import CutlineHTTP
public import Foundation

/// Any server with OpenAI's chat-completions API (OpenAI, Ollama, llama.cpp's server, vLLM) at a base
/// URL such as `http://127.0.0.1:11434/v1`, asked for a JSON object `{"texts": [...]}`.
public struct OpenAIEngine: TextEngine {
    public let model: String
    public var name: String { "openai:\(model)@\(baseURL.host ?? baseURL.absoluteString)" }
    public let asksAgain = true
    let key: String?
    let baseURL: URL
    let transport: ModelTransport

    public init(baseURL: URL, model: String, key: String?, client: HTTPClient) {
        self.baseURL = baseURL
        self.model = model
        self.key = key
        transport = ModelTransport(client: client, engine: "openai:\(model)@\(baseURL.host ?? baseURL.absoluteString)")
    }

    /// Makes the engine after checking, with `GET /models`, that the server answers and the key is
    /// accepted. (Servers list models differently, so an unlisted model is only logged by the caller.)
    public static func make(baseURL: URL, model: String, key: String?, client: HTTPClient) async throws(TextEngineError) -> OpenAIEngine {
        let engine = OpenAIEngine(baseURL: baseURL, model: model, key: key, client: client)
        let response = try await engine.transport.send(
            HTTPRequest(method: .get, url: baseURL.appendingPathComponent("models"), headers: engine.authorization),
            retryAfter: Self.retryAfter)
        if response.status != 200 { throw Self.failure(response, engine: engine.name, key: key) }
        return engine
    }

    var authorization: [(String, String)] {
        key.map { [("Authorization", "Bearer \($0)")] } ?? []
    }

    func chatRequest(_ request: VariationRequest, wanted: Int, avoiding: [String]) -> HTTPRequest {
        HTTPRequest(
            method: .post, url: baseURL.appendingPathComponent("chat/completions"),
            headers: authorization + [("Content-Type", "application/json")],
            body: .bytes(Self.body(request, model: model, wanted: wanted, avoiding: avoiding)))
    }

    static func body(_ request: VariationRequest, model: String, wanted: Int, avoiding: [String]) -> [UInt8] {
        JSON.encode(
            [
                "model": model,
                "messages": [
                    ["role": "system", "content": "You answer with JSON only: an object {\"texts\": [string, ...]}."],
                    ["role": "user", "content": VariationPrompt.text(for: request, wanted: wanted, avoiding: avoiding)],
                ],
                "response_format": ["type": "json_object"],
                "temperature": 1.0,
                "seed": Int(request.seed % UInt64(Int32.max)),
            ] as [String: Any])
    }

    public func candidates(for request: VariationRequest, wanted: Int, avoiding: [String]) async throws(TextEngineError) -> [Variation] {
        let response = try await transport.send(chatRequest(request, wanted: wanted, avoiding: avoiding), retryAfter: Self.retryAfter)
        return try Self.texts(response, engine: name, key: key).map { Variation(text: $0) }
    }

    /// `choices[0].message.content` holding `{"texts": [...]}` (or a bare array); a refusal, a
    /// `content_filter` stop, or anything else is named.
    static func texts(_ response: HTTPResponse, engine: String, key: String? = nil) throws(TextEngineError) -> [String] {
        guard response.status == 200 else { throw failure(response, engine: engine, key: key) }
        guard let choice = (JSON.object(response.body)?["choices"] as? [[String: Any]])?.first,
            let message = choice["message"] as? [String: Any]
        else {
            throw TextEngineError(.malformed, "\(engine) answered without choices[0].message")
        }
        if let refusal = message["refusal"] as? String, !refusal.isEmpty {
            throw TextEngineError(.blocked, "\(engine) refused: \(refusal)")
        }
        if choice["finish_reason"] as? String == "content_filter" {
            throw TextEngineError(.blocked, "\(engine) stopped its answer (finish_reason content_filter); change the base text")
        }
        let content = message["content"] as? String ?? ""
        if let data = content.data(using: .utf8), let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let texts = object["texts"] as? [Any]
        {
            return texts.compactMap { $0 as? String }
        }
        guard let texts = JSON.strings(in: content) else {
            throw TextEngineError(.malformed, "\(engine) did not answer with {\"texts\": [...]}: \(content.prefix(200))")
        }
        return texts
    }

    /// `{"error": {message, type, code}}` as an error a person can act on.
    static func failure(_ response: HTTPResponse, engine: String, key: String? = nil) -> TextEngineError {
        let error = JSON.object(response.body)?["error"] as? [String: Any]
        // A server may quote the key it refused; what it says reaches logs and answers, the key must not.
        let message = redacting(key, in: error?["message"] as? String ?? String(decoding: response.body.prefix(300), as: UTF8.self))
        switch response.status {
        case 401, 403:
            return TextEngineError(.unauthenticated, "\(engine): the key was refused (\(message)); check CUTLINE_TEXT_OPENAI_KEY")
        case 404 where (error?["code"] as? String) == "model_not_found" || message.localizedCaseInsensitiveContains("model"):
            return TextEngineError(.unknownModel, "\(engine): the server has no such model (\(message)); check CUTLINE_TEXT_OPENAI_MODEL")
        case 404:
            return TextEngineError(
                .unavailable,
                "\(engine): no chat-completions API at this URL (\(message)); CUTLINE_TEXT_OPENAI_URL is the base, e.g. http://127.0.0.1:11434/v1")
        case 429, 500, 502, 503, 504:
            return TextEngineError(.unavailable, "\(engine) is busy or failing (HTTP \(response.status): \(message)); try again later")
        default:
            return TextEngineError(.malformed, "\(engine) refused the request (HTTP \(response.status): \(message))")
        }
    }

    /// `Retry-After` in seconds, if the server sent it.
    static func retryAfter(_ response: HTTPResponse) -> Duration? {
        response.headers["retry-after"].flatMap(Double.init).map { .milliseconds(Int64($0 * 1000)) }
    }
}
