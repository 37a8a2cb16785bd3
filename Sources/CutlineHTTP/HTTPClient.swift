import CCurl
public import Foundation
import Synchronization

/// An async HTTP client over libcurl. Requests run on a small pool of worker threads of its own, each
/// with one reusable curl handle (so connections stay alive between requests), never on Swift's
/// cooperative pool. Idempotent requests are retried on network errors, 5xx and 429, with exponential
/// backoff and jitter.
public final class HTTPClient: Sendable {
    public struct Configuration: Sendable {
        /// Requests in flight at once (worker threads).
        public var concurrency = 8
        public var connectTimeout: Duration = .seconds(5)
        /// For the whole exchange, body included; large transfers set their own through `send(_:timeout:)`.
        public var timeout: Duration = .seconds(60)
        public var maxAttempts = 4
        public var backoffInitial: Duration = .milliseconds(100)
        public var backoffMax: Duration = .seconds(5)
        public init() {}
    }

    private struct Job {
        let request: HTTPRequest
        let timeoutMilliseconds: Int
        let complete: @Sendable (Result<HTTPResponse, HTTPError.Kind>) -> Void
    }

    private struct Queue {
        var jobs: [Job] = []
        var stopped = false
    }

    public let configuration: Configuration
    private let queue = Mutex(Queue())
    private let signal = NSCondition()

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
        Self.globalInit
        for index in 0..<max(1, configuration.concurrency) {
            let thread = Thread { [self] in
                // Named from inside: on Linux, Foundation applies a name set before start() to nothing.
                Thread.current.name = "http-\(index)"
                work()
            }
            thread.start()
        }
    }

    /// curl_global_init must run once per process before any handle exists.
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    deinit { shutdown() }

    /// Stops the workers once the queued requests are done.
    public func shutdown() {
        queue.withLock { $0.stopped = true }
        signal.lock()
        signal.broadcast()
        signal.unlock()
    }

    /// Sends `request`; returns the response whatever its status (callers decide what a status means),
    /// after retrying network errors, 5xx and 429 when the request may be retried. Throws `HTTPError`.
    public func send(_ request: HTTPRequest, timeout: Duration? = nil) async throws -> HTTPResponse {
        let retryable = request.retryable ?? request.method.isIdempotent
        let attempts = retryable ? max(1, configuration.maxAttempts) : 1
        var backoff = configuration.backoffInitial
        var attempt = 1
        while true {
            let outcome = await perform(request, timeout: timeout ?? configuration.timeout)
            let retry: Bool
            switch outcome {
            case .success(let response): retry = response.status >= 500 || response.status == 429
            case .failure(.network): retry = true
            case .failure(.file), .failure(.status): retry = false
            }
            if !retry || attempt >= attempts {
                switch outcome {
                case .success(let response): return response
                case .failure(let kind):
                    throw HTTPError(kind: kind, method: request.method, url: request.url.absoluteString, attempts: attempt)
                }
            }
            try await Task.sleep(for: backoff * Double.random(in: 0.5...1.0))
            backoff = min(backoff * 2, configuration.backoffMax)
            attempt += 1
        }
    }

    /// Sends and requires a 2xx status; anything else is an `HTTPError` carrying the response.
    public func expectSuccess(_ request: HTTPRequest, timeout: Duration? = nil) async throws -> HTTPResponse {
        let response = try await send(request, timeout: timeout)
        guard (200..<300).contains(response.status) else {
            throw HTTPError(kind: .status(response), method: request.method, url: request.url.absoluteString, attempts: 1)
        }
        return response
    }

    private func perform(_ request: HTTPRequest, timeout: Duration) async -> Result<HTTPResponse, HTTPError.Kind> {
        let milliseconds = Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponse, HTTPError.Kind>, Never>) in
            let accepted = queue.withLock { queue -> Bool in
                guard !queue.stopped else { return false }
                queue.jobs.append(Job(request: request, timeoutMilliseconds: milliseconds) { continuation.resume(returning: $0) })
                return true
            }
            if accepted {
                signal.lock()
                signal.signal()
                signal.unlock()
            } else {
                continuation.resume(returning: .failure(.network(curlCode: Int32(CURLE_FAILED_INIT.rawValue), message: "the HTTP client was shut down")))
            }
        }
    }

    private func work() {
        let easy: CurlEasy
        do {
            easy = try CurlEasy()
        } catch {
            return
        }
        let connectMilliseconds = Int(configuration.connectTimeout.components.seconds * 1000)
        while true {
            signal.lock()
            var next: Job?
            while true {
                let (job, stopped) = queue.withLock { queue -> (Job?, Bool) in
                    queue.jobs.isEmpty ? (nil, queue.stopped) : (queue.jobs.removeFirst(), false)
                }
                if let job { next = job; break }
                if stopped { signal.unlock(); return }
                signal.wait()
            }
            signal.unlock()
            guard let job = next else { continue }
            job.complete(easy.perform(job.request, connectTimeoutMilliseconds: connectMilliseconds, timeoutMilliseconds: job.timeoutMilliseconds))
        }
    }
}

extension HTTPError.Kind: Error {}
