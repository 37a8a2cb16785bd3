import CutlineHTTP
import CutlineTestSupport
import Foundation
import Testing

@testable import CutlineTextEngines

/// The answers below have the shapes of the providers' API references (Gemini's GenerateContentResponse
/// and error format with google.rpc.RetryInfo; OpenAI's chat completion object and error object).
/// Nothing here serves them: they are parsed as the engines parse what the real servers send.
func answer(_ status: Int, _ json: String, headers: [String: String] = [:]) -> HTTPResponse {
    HTTPResponse(status: status, headers: headers, body: Array(json.utf8))
}

func request(_ base: String = "Best day at the beach", count: Int = 3) throws -> VariationRequest {
    try VariationRequest(baseText: base, count: count, seed: 42)
}

@Suite("Gemini engine")
struct GeminiEngineTests {
    let engine = GeminiEngine(key: "test-key", model: "gemini-2.5-flash", baseURL: GeminiEngine.defaultBaseURL, client: try! HTTPClient())

    @Test func asksForAJSONArrayOfStringsByResponseSchema() throws {
        let sent = engine.generateRequest(try request(), wanted: 3, avoiding: ["Already used"])
        #expect(sent.method == .post)
        #expect(sent.url.absoluteString == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent")
        #expect(sent.headers.contains { $0.0 == "x-goog-api-key" && $0.1 == "test-key" })
        guard case .bytes(let bytes) = sent.body, let body = JSON.object(bytes) else {
            Issue.record("no JSON body")
            return
        }
        let config = try #require(body["generationConfig"] as? [String: Any])
        #expect(config["responseMimeType"] as? String == "application/json")
        #expect((config["responseSchema"] as? [String: Any])?["type"] as? String == "ARRAY")
        #expect(((config["responseSchema"] as? [String: Any])?["items"] as? [String: Any])?["type"] as? String == "STRING")
        #expect(config["seed"] as? Int == 42)
        let prompt = try #require(((body["contents"] as? [[String: Any]])?.first?["parts"] as? [[String: Any]])?.first?["text"] as? String)
        #expect(prompt.contains("Best day at the beach") && prompt.contains("3 different captions") && prompt.contains("- Already used"))
    }

    @Test func readsTheTextsOfACandidate() throws {
        let texts = try GeminiEngine.texts(
            answer(
                200,
                """
                {"candidates": [{"content": {"parts": [{"text": "[\\"Beach day, best day\\", \\"Sun, sand, the best day\\", \\"Best. Day. Ever.\\"]"}], "role": "model"},
                  "finishReason": "STOP", "index": 0, "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}]}],
                 "usageMetadata": {"promptTokenCount": 120, "candidatesTokenCount": 24, "totalTokenCount": 144}, "modelVersion": "gemini-2.5-flash"}
                """), engine: engine.name, model: engine.model)
        #expect(texts == ["Beach day, best day", "Sun, sand, the best day", "Best. Day. Ever."])
    }

    @Test func aBlockedPromptSaysWhy() {
        #expect(throws: TextEngineError(.blocked, "gemini:gemini-2.5-flash blocked the prompt (SAFETY); change the base text")) {
            try GeminiEngine.texts(
                answer(
                    200,
                    #"{"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}]}}"#
                ),
                engine: engine.name, model: engine.model)
        }
    }

    @Test(arguments: ["SAFETY", "RECITATION", "OTHER"])
    func aStoppedCandidateSaysWhy(reason: String) {
        #expect {
            try GeminiEngine.texts(
                answer(
                    200,
                    #"{"candidates": [{"content": {"parts": [{"text": "[\"x\"]"}], "role": "model"}, "finishReason": "\#(reason)", "index": 0}]}"#),
                engine: engine.name, model: engine.model)
        } throws: { error in
            (error as? TextEngineError).map { $0.code == .blocked && $0.message.contains("finishReason \(reason)") } ?? false
        }
    }

    @Test func anAnswerThatIsNotTheArrayIsMalformed() {
        #expect {
            try GeminiEngine.texts(
                answer(
                    200,
                    #"{"candidates": [{"content": {"parts": [{"text": "Sure! Here are some captions"}], "role": "model"}, "finishReason": "STOP"}]}"#),
                engine: engine.name, model: engine.model)
        } throws: { ($0 as? TextEngineError)?.code == .malformed }
        #expect { try GeminiEngine.texts(answer(200, "<html>"), engine: engine.name, model: engine.model) } throws: {
            ($0 as? TextEngineError)?.code == .malformed
        }
    }

    @Test func errorsNameTheSettingToFix() {
        let badKey = GeminiEngine.failure(
            answer(
                400,
                #"{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}}"#
            ),
            engine: engine.name, model: engine.model)
        #expect(badKey.code == .unauthenticated && badKey.message.contains("GEMINI_API_KEY"))
        let noModel = GeminiEngine.failure(
            answer(
                404,
                #"{"error": {"code": 404, "message": "models/gemini-0.1-nope is not found for API version v1beta, or is not supported for generateContent.", "status": "NOT_FOUND"}}"#
            ),
            engine: engine.name, model: "gemini-0.1-nope")
        #expect(noModel.code == .unknownModel && noModel.message.contains("CUTLINE_GEMINI_MODEL"))
        let busy = GeminiEngine.failure(
            answer(503, #"{"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}"#),
            engine: engine.name, model: engine.model)
        #expect(busy.code == .unavailable)
    }

    @Test func rateLimitsAreRetriedAfterTheirRetryInfoDelay() {
        let limited = answer(
            429,
            """
            {"error": {"code": 429, "message": "You exceeded your current quota, please check your plan and billing details.", "status": "RESOURCE_EXHAUSTED",
              "details": [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests"}]},
                          {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "41s"}]}}
            """)
        #expect(GeminiEngine.retryDelay(limited) == .seconds(41))
        #expect(GeminiEngine.retryDelay(answer(503, #"{"error": {"code": 503, "status": "UNAVAILABLE"}}"#)) == nil)
        #expect(ModelTransport.retried == [429, 500, 503, 504])
    }

    /// With a real key: the model is checked and real variations come back.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["GEMINI_API_KEY"].map { !$0.isEmpty } ?? false, "GEMINI_API_KEY is not set"))
    func liveVariationsFromGemini() async throws {
        let env = ProcessInfo.processInfo.environment
        let live = try await GeminiEngine.make(
            key: env["GEMINI_API_KEY"]!, model: env["CUTLINE_GEMINI_MODEL"] ?? GeminiEngine.defaultModel, client: try HTTPClient())
        let texts = try await TextVariations.make(try request(count: 5), with: live).map(\.text)
        #expect(texts.count == 5 && Set(texts).count == 5)
    }
}

@Suite("OpenAI-compatible engine")
struct OpenAIEngineTests {
    let engine = OpenAIEngine(baseURL: URL(string: "http://127.0.0.1:11434/v1")!, model: "llama3.2", key: "sk-test", client: try! HTTPClient())

    @Test func asksForAJSONObjectWithTheModelAndKey() throws {
        #expect(engine.name == "openai:llama3.2@127.0.0.1")
        let sent = engine.chatRequest(try request(), wanted: 3, avoiding: [])
        #expect(sent.url.absoluteString == "http://127.0.0.1:11434/v1/chat/completions")
        #expect(sent.headers.contains { $0.0 == "Authorization" && $0.1 == "Bearer sk-test" })
        guard case .bytes(let bytes) = sent.body, let body = JSON.object(bytes) else {
            Issue.record("no JSON body")
            return
        }
        #expect(body["model"] as? String == "llama3.2")
        #expect((body["response_format"] as? [String: Any])?["type"] as? String == "json_object")
        #expect((body["messages"] as? [[String: Any]])?.count == 2)
    }

    @Test func readsTheTextsOfTheFirstChoice() throws {
        let texts = try OpenAIEngine.texts(
            answer(
                200,
                """
                {"id": "chatcmpl-abc123", "object": "chat.completion", "created": 1741569952, "model": "gpt-4o-mini",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\\"texts\\": [\\"Beach day!\\", \\"Best day, beach day\\", \\"Sun and sand\\"]}", "refusal": null},
                              "logprobs": null, "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29}}
                """), engine: engine.name)
        #expect(texts == ["Beach day!", "Best day, beach day", "Sun and sand"])
    }

    @Test func aRefusalOrAFilteredAnswerSaysSo() {
        #expect {
            try OpenAIEngine.texts(
                answer(
                    200,
                    #"{"choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": "I'm sorry, I can't help with that."}, "finish_reason": "stop"}]}"#
                ), engine: engine.name)
        } throws: { ($0 as? TextEngineError).map { $0.code == .blocked && $0.message.contains("I'm sorry") } ?? false }
        #expect {
            try OpenAIEngine.texts(
                answer(200, #"{"choices": [{"index": 0, "message": {"role": "assistant", "content": ""}, "finish_reason": "content_filter"}]}"#),
                engine: engine.name)
        } throws: { ($0 as? TextEngineError)?.code == .blocked }
    }

    @Test func errorsNameTheSettingToFix() {
        let badKey = OpenAIEngine.failure(
            answer(
                401,
                #"{"error": {"message": "Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}"#
            ), engine: engine.name, key: "sk-test")
        #expect(badKey.code == .unauthenticated && badKey.message.contains("CUTLINE_TEXT_OPENAI_KEY"))
        // The key the server quotes back does not reach the message (which reaches logs and answers).
        #expect(!badKey.message.contains("sk-test") && badKey.message.contains("<redacted>"), "\(badKey.message)")
        let noModel = OpenAIEngine.failure(
            answer(
                404,
                #"{"error": {"message": "The model `gpt-9` does not exist or you do not have access to it.", "type": "invalid_request_error", "param": null, "code": "model_not_found"}}"#
            ), engine: engine.name)
        #expect(noModel.code == .unknownModel && noModel.message.contains("CUTLINE_TEXT_OPENAI_MODEL"))
        #expect(OpenAIEngine.retryAfter(answer(429, "{}", headers: ["retry-after": "7"])) == .seconds(7))
    }

    @Test func nothingListeningIsUnavailableAfterTheRetries() async throws {
        let port = TestEnvironment.freePort()  // nothing listens on it
        await #expect {
            _ = try await OpenAIEngine.make(baseURL: URL(string: "http://127.0.0.1:\(port)/v1")!, model: "m", key: nil, client: try HTTPClient())
        } throws: { ($0 as? TextEngineError).map { $0.code == .unavailable && $0.message.contains("cannot be reached") } ?? false }
    }

    @Test(
        .enabled(
            if: ProcessInfo.processInfo.environment["CUTLINE_TEXT_OPENAI_URL"].map { !$0.isEmpty } ?? false, "CUTLINE_TEXT_OPENAI_URL is not set"))
    func liveVariationsFromTheServer() async throws {
        let env = ProcessInfo.processInfo.environment
        let live = try await OpenAIEngine.make(
            baseURL: URL(string: env["CUTLINE_TEXT_OPENAI_URL"]!)!, model: env["CUTLINE_TEXT_OPENAI_MODEL"] ?? "llama3.2",
            key: env["CUTLINE_TEXT_OPENAI_KEY"], client: try HTTPClient())
        let texts = try await TextVariations.make(try request(count: 5), with: live).map(\.text)
        #expect(texts.count == 5 && Set(texts).count == 5)
    }
}

/// The engines against a real HTTP server on loopback (Tests/Support/model-replay-server.py) that replays
/// the providers' documented answers and records what it was sent, and when: the start-up check, the key
/// on every request, the wait a 429 asks for, and the second ask for the texts still missing. The HTTP
/// client is the one the product makes (`HTTPClient()`), so its own retries are part of what is proved.
@Suite("Model engines against a replaying server", .serialized)
struct ModelEngineReplayTests {
    @Test func geminiWaitsAsLongAsRetryInfoAsksAndAsksAgainForTheTextsStillMissing() async throws {
        let model = "/v1beta/models/gemini-2.5-flash"
        let generate = "/v1beta/models/gemini-2.5-flash:generateContent"
        let server = try ReplayServer([
            .get(model, 200, GeminiAnswers.model("gemini-2.5-flash")),
            .post(generate, 429, GeminiAnswers.rateLimited(retryDelay: "1s")),
            .post(generate, 200, GeminiAnswers.candidate(["Beach day, best day", "Sun, sand, the best day"])),
            .post(generate, 200, GeminiAnswers.candidate(["Best. Day. Ever.", "Salt, sun and the best day"])),
        ])
        defer { server.stop() }

        let engine = try await GeminiEngine.make(
            key: "replay-key", model: "gemini-2.5-flash", baseURL: server.url("/v1beta"), client: try HTTPClient())
        let texts = try await TextVariations.make(try request(count: 4), with: engine).map(\.text)

        #expect(
            texts == ["Beach day, best day", "Sun, sand, the best day", "Best. Day. Ever.", "Salt, sun and the best day"],
            "the 2 texts of the first answer, then the 2 of the second ask")
        let sent = try server.received()
        try #require(
            sent.map(\.line) == ["GET \(model)", "POST \(generate)", "POST \(generate)", "POST \(generate)"],
            "the model is checked, the 429 retried once, the missing texts asked for once: \(sent.map(\.line))")
        #expect(sent.allSatisfy { $0.headers["x-goog-api-key"] == "replay-key" }, "every request carries the key: \(sent.map(\.headers))")
        let waited = sent[2].time - sent[1].time
        #expect(waited >= 1.0, "the retry came \(waited) s after the 429, whose RetryInfo asked for 1s")
        #expect(sent[2].body == sent[1].body, "the retry sends the same request")
        let firstAsk = sent[1].geminiPrompt
        #expect(firstAsk.contains("into 4 different captions") && !firstAsk.contains("Do not repeat"), "the first ask: \(firstAsk)")
        let secondAsk = sent[3].geminiPrompt
        #expect(
            secondAsk.contains("into 2 different captions")
                && secondAsk.contains("Do not repeat any of these, which are already used:\n- Beach day, best day\n- Sun, sand, the best day"),
            "the second ask wants the 2 missing texts and names the 2 it has: \(secondAsk)")
    }

    @Test func geminiRefusesToStartWithAModelTheKeyCannotUse() async throws {
        let model = "/v1beta/models/gemini-0.1-nope"
        let server = try ReplayServer([.get(model, 404, GeminiAnswers.notFound("gemini-0.1-nope"))])
        defer { server.stop() }

        let error = await #expect(throws: TextEngineError.self, "an unknown model is said when the engine is made, not at the first job") {
            _ = try await GeminiEngine.make(
                key: "replay-key", model: "gemini-0.1-nope", baseURL: server.url("/v1beta"), client: try HTTPClient())
        }

        #expect(error?.code == .unknownModel, "the code names the cause: \(String(describing: error))")
        #expect(
            error?.message.contains("the model gemini-0.1-nope does not exist") == true
                && error?.message.contains("set CUTLINE_GEMINI_MODEL") == true,
            "the message names the model and the setting to change: \(error?.message ?? "")")
        #expect(error?.message.contains("is not found for API version v1beta") == true, "Google's own words are kept: \(error?.message ?? "")")
        let sent = try server.received()
        #expect(sent.map(\.line) == ["GET \(model)"], "one look at the model, not retried, and nothing generated: \(sent.map(\.line))")
        #expect(sent.first?.headers["x-goog-api-key"] == "replay-key", "the model is looked up with the key that will be used")
    }

    @Test func anOpenAICompatibleServerIsWaitedForAsRetryAfterAsksAndAskedAgainForTheTextsStillMissing() async throws {
        let server = try ReplayServer([
            .get("/v1/models", 200, OpenAIAnswers.models),
            .post("/v1/chat/completions", 429, OpenAIAnswers.rateLimited, headers: ["Retry-After": "1"]),
            .post("/v1/chat/completions", 200, OpenAIAnswers.completion(["Beach day!", "Best day, beach day"])),
            .post("/v1/chat/completions", 200, OpenAIAnswers.completion(["Sun and sand, best day"])),
        ])
        defer { server.stop() }

        let engine = try await OpenAIEngine.make(baseURL: server.url("/v1"), model: "gpt-4o-mini", key: "sk-replay", client: try HTTPClient())
        let texts = try await TextVariations.make(try request(count: 3), with: engine).map(\.text)

        #expect(
            texts == ["Beach day!", "Best day, beach day", "Sun and sand, best day"], "the 2 texts of the first answer, then the 1 of the second ask")
        let sent = try server.received()
        try #require(
            sent.map(\.line) == ["GET /v1/models", "POST /v1/chat/completions", "POST /v1/chat/completions", "POST /v1/chat/completions"],
            "the server is checked, the 429 retried once, the missing text asked for once: \(sent.map(\.line))")
        #expect(sent.allSatisfy { $0.headers["authorization"] == "Bearer sk-replay" }, "every request carries the key: \(sent.map(\.headers))")
        let waited = sent[2].time - sent[1].time
        #expect(waited >= 1.0, "the retry came \(waited) s after the 429, whose Retry-After asked for 1 s")
        #expect(sent[2].body == sent[1].body, "the retry sends the same request")
        #expect(JSON.object(Array(sent[1].body.utf8))?["model"] as? String == "gpt-4o-mini", "the model is named in the body: \(sent[1].body)")
        let firstAsk = sent[1].chatPrompt
        #expect(firstAsk.contains("into 3 different captions") && !firstAsk.contains("Do not repeat"), "the first ask: \(firstAsk)")
        let secondAsk = sent[3].chatPrompt
        #expect(
            secondAsk.contains("into one more caption for")
                && secondAsk.contains("Do not repeat any of these, which are already used:\n- Beach day!\n- Best day, beach day"),
            "the second ask wants the missing text and names the 2 it has: \(secondAsk)")
    }
}

/// A step of the replay server's script: the answer to the first request with this method and path
/// that no earlier step answered.
private struct Step {
    let method: String
    let path: String
    let status: Int
    let headers: [String: String]
    /// JSON text, sent as it is.
    let body: String

    static func get(_ path: String, _ status: Int, _ body: String) -> Step {
        Step(method: "GET", path: path, status: status, headers: [:], body: body)
    }

    static func post(_ path: String, _ status: Int, _ body: String, headers: [String: String] = [:]) -> Step {
        Step(method: "POST", path: path, status: status, headers: headers, body: body)
    }

    var scriptEntry: String {
        #"{"method": \#(jsonText(method)), "path": \#(jsonText(path)), "status": \#(status), "headers": \#(jsonText(headers)), "body": \#(body)}"#
    }
}

/// One request the replay server received, as it logged it.
private struct Received: Decodable {
    let method: String
    let path: String
    /// Names in lower case.
    let headers: [String: String]
    let body: String
    /// Seconds since 1970, when the server read it.
    let time: Double

    /// `METHOD /path`, the path percent-decoded.
    var line: String { "\(method) \(path.removingPercentEncoding ?? path)" }

    /// The prompt of a generateContent body (`contents[0].parts[0].text`); "" if there is none.
    var geminiPrompt: String {
        let contents = JSON.object(Array(body.utf8))?["contents"] as? [[String: Any]]
        return (contents?.first?["parts"] as? [[String: Any]])?.first?["text"] as? String ?? ""
    }

    /// The user's message of a chat-completions body (the last of `messages`); "" if there is none.
    var chatPrompt: String {
        let messages = JSON.object(Array(body.utf8))?["messages"] as? [[String: Any]]
        return messages?.last?["content"] as? String ?? ""
    }
}

/// Tests/Support/model-replay-server.py on a free loopback port, ready once the port accepts.
private struct ReplayServer {
    let directory: URL
    let log: URL
    let server: LoopbackServer

    init(_ steps: [Step]) throws {
        directory = try TestEnvironment.temporaryDirectory("model-replay")
        let script = directory.appendingPathComponent("script.json")
        log = directory.appendingPathComponent("requests.jsonl")
        try Data(("[\n" + steps.map(\.scriptEntry).joined(separator: ",\n") + "\n]\n").utf8).write(to: script)
        server = try LoopbackServer([
            "python3", TestEnvironment.repository.appendingPathComponent("Tests/Support/model-replay-server.py").path, "{port}", script.path,
            log.path,
        ])
    }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(server.port)\(path)")! }

    /// The requests so far, in the order the server read them.
    func received() throws -> [Received] {
        guard FileManager.default.fileExists(atPath: log.path) else { return [] }
        return try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map {
            try JSONDecoder().decode(Received.self, from: Data($0.utf8))
        }
    }

    func stop() {
        server.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// `value` as JSON text.
private func jsonText(_ value: some Encodable) -> String {
    (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
}

/// Gemini API answers in the shapes of its reference: models.get's Model, GenerateContentResponse, and the
/// error object with google.rpc details.
private enum GeminiAnswers {
    static func model(_ name: String) -> String {
        """
        {"name": "models/\(name)", "version": "001", "displayName": "Gemini 2.5 Flash",
         "description": "Stable version of Gemini 2.5 Flash, our mid-size multimodal model that supports up to 1 million tokens.",
         "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
         "supportedGenerationMethods": ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"],
         "temperature": 1, "topP": 0.95, "topK": 64, "maxTemperature": 2, "thinking": true}
        """
    }

    static func rateLimited(retryDelay: String) -> String {
        """
        {"error": {"code": 429, "message": "You exceeded your current quota, please check your plan and billing details.",
          "status": "RESOURCE_EXHAUSTED",
          "details": [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
             "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                             "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                             "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"}, "quotaValue": "10"}]},
            {"@type": "type.googleapis.com/google.rpc.Help",
             "links": [{"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": \(jsonText(retryDelay))}]}}
        """
    }

    /// A candidate whose text is the JSON array of `texts` (structured output), stopped normally.
    static func candidate(_ texts: [String]) -> String {
        """
        {"candidates": [{"content": {"parts": [{"text": \(jsonText(jsonText(texts)))}], "role": "model"}, "finishReason": "STOP", "index": 0}],
         "usageMetadata": {"promptTokenCount": 131, "candidatesTokenCount": 27, "totalTokenCount": 158,
                           "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 131}]},
         "modelVersion": "gemini-2.5-flash", "responseId": "replay-response"}
        """
    }

    static func notFound(_ name: String) -> String {
        """
        {"error": {"code": 404,
          "message": "models/\(name) is not found for API version v1beta, or is not supported for generateContent. \
        Call ListModels to see the list of available models and their supported methods.",
          "status": "NOT_FOUND"}}
        """
    }
}

/// OpenAI API answers in the shapes of its reference: the model list, the chat completion object, and the
/// error object of a rate limit.
private enum OpenAIAnswers {
    static let models = """
        {"object": "list", "data": [
          {"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"},
          {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"}]}
        """

    static let rateLimited = """
        {"error": {"message": "Rate limit reached for gpt-4o-mini in organization org-replay on requests per min (RPM): \
        Limit 3, Used 3, Requested 1. Please try again in 1s.",
          "type": "requests", "param": null, "code": "rate_limit_exceeded"}}
        """

    /// A completion whose message holds `{"texts": [...]}` (JSON mode), stopped normally.
    static func completion(_ texts: [String]) -> String {
        """
        {"id": "chatcmpl-replay", "object": "chat.completion", "created": 1741569952, "model": "gpt-4o-mini-2024-07-18",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": \(jsonText(jsonText(["texts": texts]))), "refusal": null},
                      "logprobs": null, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 152, "completion_tokens": 21, "total_tokens": 173}, "system_fingerprint": "fp_replay"}
        """
    }
}
