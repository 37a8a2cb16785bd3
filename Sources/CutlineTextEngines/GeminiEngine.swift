public import CutlineHTTP
public import Foundation

/// Google's Gemini API (`generateContent`, v1beta) with structured output: the answer is a JSON array
/// of strings by schema, not by hope. The model is a setting, checked to exist when the engine is made.
public struct GeminiEngine: TextEngine {
    public static let defaultModel = "gemini-2.5-flash"
    public static let defaultBaseURL = URL(string: "https://generativelanguage.googleapis.com/v1beta")!

    public let model: String
    public var name: String { "gemini:\(model)" }
    public let asksAgain = true
    let key: String
    let baseURL: URL
    let transport: ModelTransport

    init(key: String, model: String, baseURL: URL, client: HTTPClient) {
        self.key = key
        self.model = model
        self.baseURL = baseURL
        transport = ModelTransport(client: client, engine: "gemini:\(model)")
    }

    /// Makes the engine after asking the models endpoint whether the model exists for this key: a
    /// wrong key or an unknown model is said now, not at the first job.
    public static func make(
        key: String, model: String = defaultModel, baseURL: URL = defaultBaseURL, client: HTTPClient
    ) async throws(TextEngineError) -> GeminiEngine {
        let engine = GeminiEngine(key: key, model: model, baseURL: baseURL, client: client)
        let response = try await engine.transport.send(engine.modelRequest(), retryAfter: Self.retryDelay)
        if response.status != 200 { throw Self.failure(response, engine: engine.name, model: model, key: key) }
        return engine
    }

    // MARK: Requests

    func modelRequest() -> HTTPRequest {
        HTTPRequest(method: .get, url: baseURL.appendingPathComponent("models/\(model)"), headers: [("x-goog-api-key", key)])
    }

    func generateRequest(_ request: VariationRequest, wanted: Int, avoiding: [String]) -> HTTPRequest {
        HTTPRequest(
            method: .post, url: baseURL.appendingPathComponent("models/\(model):generateContent"),
            headers: [("x-goog-api-key", key), ("Content-Type", "application/json")],
            body: .bytes(Self.body(request, wanted: wanted, avoiding: avoiding)))
    }

    /// `contents` with the prompt; `generationConfig` asks for JSON shaped by `responseSchema` (an array
    /// of strings), with the request's seed.
    static func body(_ request: VariationRequest, wanted: Int, avoiding: [String]) -> [UInt8] {
        JSON.encode([
            "contents": [["role": "user", "parts": [["text": VariationPrompt.text(for: request, wanted: wanted, avoiding: avoiding)]]]],
            "generationConfig": [
                "responseMimeType": "application/json",
                "responseSchema": ["type": "ARRAY", "items": ["type": "STRING"]],
                "temperature": 1.0,
                "seed": Int(request.seed % UInt64(Int32.max)),
            ] as [String: Any],
        ])
    }

    public func candidates(for request: VariationRequest, wanted: Int, avoiding: [String]) async throws(TextEngineError) -> [Variation] {
        let response = try await transport.send(generateRequest(request, wanted: wanted, avoiding: avoiding), retryAfter: Self.retryDelay)
        return try Self.texts(response, engine: name, model: model, key: key).map { Variation(text: $0) }
    }

    // MARK: Answers

    /// The texts of a `generateContent` answer, or the error it is: a blocked prompt
    /// (`promptFeedback.blockReason`), a candidate stopped for SAFETY, RECITATION or another reason, an
    /// error status, or an answer that is not the JSON array asked for.
    static func texts(_ response: HTTPResponse, engine: String, model: String, key: String? = nil) throws(TextEngineError) -> [String] {
        guard response.status == 200 else { throw failure(response, engine: engine, model: model, key: key) }
        guard let answer = JSON.object(response.body) else {
            throw TextEngineError(.malformed, "\(engine) answered something that is not JSON")
        }
        if let feedback = answer["promptFeedback"] as? [String: Any], let reason = feedback["blockReason"] as? String {
            throw TextEngineError(.blocked, "\(engine) blocked the prompt (\(reason)); change the base text")
        }
        guard let candidate = (answer["candidates"] as? [[String: Any]])?.first else {
            throw TextEngineError(.malformed, "\(engine) answered with no candidates")
        }
        let finish = candidate["finishReason"] as? String ?? "STOP"
        if ["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "OTHER", "LANGUAGE"].contains(finish) {
            throw TextEngineError(.blocked, "\(engine) stopped its answer (finishReason \(finish)); change the base text")
        }
        let parts = ((candidate["content"] as? [String: Any])?["parts"] as? [[String: Any]]) ?? []
        let text = parts.compactMap { $0["text"] as? String }.joined()
        guard let texts = JSON.strings(in: text) else {
            let why = finish == "MAX_TOKENS" ? " (it ran out of tokens: ask for fewer texts)" : ""
            throw TextEngineError(.malformed, "\(engine) did not answer with a JSON array of strings\(why): \(text.prefix(200))")
        }
        return texts
    }

    /// `{"error": {code, message, status, details}}` as an error a person can act on.
    static func failure(_ response: HTTPResponse, engine: String, model: String, key: String? = nil) -> TextEngineError {
        let error = JSON.object(response.body)?["error"] as? [String: Any]
        // A server may quote the key it refused; what it says reaches logs and answers, the key must not.
        let message = redacting(key, in: error?["message"] as? String ?? String(decoding: response.body.prefix(300), as: UTF8.self))
        let status = error?["status"] as? String ?? ""
        switch (response.status, status) {
        case (404, _), (_, "NOT_FOUND"):
            return TextEngineError(
                .unknownModel,
                "\(engine): the model \(model) does not exist for this key (\(message)); set CUTLINE_GEMINI_MODEL to one that GET /v1beta/models lists"
            )
        case (401, _), (403, _), (_, "UNAUTHENTICATED"), (_, "PERMISSION_DENIED"):
            return TextEngineError(.unauthenticated, "\(engine): the API key was refused (\(message)); check GEMINI_API_KEY")
        case (400, _) where message.localizedCaseInsensitiveContains("api key"):
            return TextEngineError(.unauthenticated, "\(engine): the API key was refused (\(message)); check GEMINI_API_KEY")
        case (429, _), (500, _), (503, _), (504, _):
            return TextEngineError(.unavailable, "\(engine) is busy or failing (HTTP \(response.status) \(status): \(message)); try again later")
        default:
            return TextEngineError(.malformed, "\(engine) refused the request (HTTP \(response.status) \(status): \(message))")
        }
    }

    /// `RetryInfo.retryDelay` ("30s", "1.5s") from an error's details, if the server gave one.
    static func retryDelay(_ response: HTTPResponse) -> Duration? {
        let details = ((JSON.object(response.body)?["error"] as? [String: Any])?["details"] as? [[String: Any]]) ?? []
        for detail in details where (detail["@type"] as? String)?.hasSuffix("google.rpc.RetryInfo") == true {
            if let delay = detail["retryDelay"] as? String, delay.hasSuffix("s"), let seconds = Double(delay.dropLast()) {
                return .milliseconds(Int64(seconds * 1000))
            }
        }
        return nil
    }
}
