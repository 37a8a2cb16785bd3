import CutlineHTTP
import Foundation

/// Sending to a model server: a timeout per attempt, and retries with exponential backoff and jitter
/// on network failures and on the answers that mean "later" (429, 500, 503, 504), waiting at least as
/// long as the server asked. The retries are all here: the HTTP client's own (which would answer a 429
/// after 0.1 s, whatever Retry-After or RetryInfo said) are turned off for these requests.
struct ModelTransport: Sendable {
    let client: HTTPClient
    /// What the engine is called in messages (`gemini:…`, `openai:…@host`).
    let engine: String
    var attempts = 4
    var timeout: Duration = .seconds(60)
    var backoff: Duration = .milliseconds(500)
    var maximumWait: Duration = .seconds(30)

    static let retried: Set<Int> = [429, 500, 503, 504]

    /// The last answer, once it is not one to retry (or the retries are spent); `retryAfter` reads how
    /// long the server asked to wait from an answer.
    func send(_ request: HTTPRequest, retryAfter: (HTTPResponse) -> Duration?) async throws(TextEngineError) -> HTTPResponse {
        var once = request
        once.retryable = false
        var wait = backoff
        for attempt in 1...attempts {
            let response: HTTPResponse
            do {
                response = try await client.send(once, timeout: timeout)
            } catch {
                guard attempt < attempts else {
                    throw TextEngineError(.unavailable, "\(engine) cannot be reached at \(request.url.host ?? request.url.absoluteString): \(error)")
                }
                try await sleep(wait * Double.random(in: 0.5...1.0))
                wait = min(wait * 2, maximumWait)
                continue
            }
            guard Self.retried.contains(response.status), attempt < attempts else { return response }
            let asked = retryAfter(response) ?? .zero
            try await sleep(max(asked, wait * Double.random(in: 0.5...1.0)))
            wait = min(wait * 2, maximumWait)
        }
        throw TextEngineError(.unavailable, "\(engine) did not answer")
    }

    private func sleep(_ duration: Duration) async throws(TextEngineError) {
        do {
            try await Task.sleep(for: min(duration, maximumWait))
        } catch {
            throw TextEngineError(.unavailable, "\(engine): cancelled while waiting to retry")
        }
    }
}

/// The prompt both model engines send: short, distinct texts for short-form clips, in the base text's
/// language, as a JSON array of strings.
enum VariationPrompt {
    static func text(for request: VariationRequest, wanted: Int, avoiding: [String]) -> String {
        var prompt = """
            You write on-screen captions for short vertical videos (TikTok, Reels, Shorts). Rewrite the base \
            caption below into \(wanted == 1 ? "one more caption" : "\(wanted) different captions") for a series of clips cut from one video. Each \
            caption keeps the meaning of the base, is at most \(request.maxLength) characters, reads naturally, \
            and differs clearly from every other one (wording, order, hook, punctuation). Keep names, numbers, \
            #hashtags, @handles, emoji and URLs exactly as written. No numbering, no quotes around the captions, \
            no explanations.
            """
        if let language = request.language {
            prompt += " Write them in the language with code \"\(language)\"."
        } else {
            prompt += " Write them in the language of the base caption."
        }
        if !avoiding.isEmpty {
            prompt += "\nDo not repeat any of these, which are already used:\n" + avoiding.map { "- \($0)" }.joined(separator: "\n")
        }
        prompt += "\nBase caption: \(request.baseText)\nAnswer with a JSON array of \(wanted) strings."
        return prompt
    }
}

/// A JSON value read loosely (answers from servers are checked field by field, and what is wrong is named).
enum JSON {
    static func object(_ bytes: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }

    /// A JSON array of strings inside `text` (a model may wrap it in prose or a code fence).
    static func strings(in text: String) -> [String]? {
        if let data = text.data(using: .utf8), let array = (try? JSONSerialization.jsonObject(with: data)) as? [Any] {
            return array.compactMap { $0 as? String }
        }
        guard let open = text.firstIndex(of: "["), let close = text.lastIndex(of: "]"), open < close,
            let data = String(text[open...close]).data(using: .utf8),
            let array = (try? JSONSerialization.jsonObject(with: data)) as? [Any]
        else { return nil }
        return array.compactMap { $0 as? String }
    }

    static func encode(_ value: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data())
    }
}
