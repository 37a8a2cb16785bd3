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
        let texts = try await TextVariations.make(try request(count: 5), with: live)
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
        let texts = try await TextVariations.make(try request(count: 5), with: live)
        #expect(texts.count == 5 && Set(texts).count == 5)
    }
}
