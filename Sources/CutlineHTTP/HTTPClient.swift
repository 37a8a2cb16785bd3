import CCurl
import Foundation
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

    public let configuration: Configuration
    /// The workers hold this, not the client, so a client nobody shuts down still goes away (and
    /// takes its threads and curl handles with it) when its last reference does.
    private let workers: Workers

    /// Creates the curl handles now, one per worker, so a failure is this error rather than a worker
    /// that silently never serves. Throws `HTTPError` (network kind, curl's message).
    public init(configuration: Configuration = .init()) throws {
        self.configuration = configuration
        Self.globalInit
        var handles: [CurlEasy] = []
        for _ in 0..<max(1, configuration.concurrency) {
            do {
                handles.append(try CurlEasy())
            } catch {
                throw HTTPError(kind: error, method: .get, url: "(creating the HTTP client's curl handles)", attempts: 1)
            }
        }
        workers = Workers(connectTimeoutMilliseconds: configuration.connectTimeout.wholeMilliseconds)
        for (index, handle) in handles.enumerated() {
            let workers = self.workers
            let thread = Thread { [handle] in
                // Named from inside: on Linux, Foundation applies a name set before start() to nothing.
                Thread.current.name = "http-\(index)"
                workers.work(handle)
            }
            thread.start()
        }
    }

    /// curl_global_init must run once per process before any handle exists.
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    deinit { workers.shutdown() }

    /// Stops the workers once the queued requests are done; later requests fail at once. Also happens
    /// when the client goes away.
    public func shutdown() {
        workers.shutdown()
    }

    /// Sends `request`; returns the response whatever its status (callers decide what a status means),
    /// after retrying network errors, 5xx and 429 when the request may be retried. Throws `HTTPError`.
    public func send(_ request: HTTPRequest, timeout: Duration? = nil) async throws -> HTTPResponse {
        try await sendCounting(request, timeout: timeout).response
    }

    /// Sends and requires a 2xx status; anything else is an `HTTPError` carrying the response and the
    /// number of attempts made.
    public func expectSuccess(_ request: HTTPRequest, timeout: Duration? = nil) async throws -> HTTPResponse {
        let (response, attempts) = try await sendCounting(request, timeout: timeout)
        guard (200..<300).contains(response.status) else {
            throw HTTPError(kind: .status(response), method: request.method, url: request.url.absoluteString, attempts: attempts)
        }
        return response
    }

    private func sendCounting(_ request: HTTPRequest, timeout: Duration?) async throws -> (response: HTTPResponse, attempts: Int) {
        let retryable = request.retryable ?? request.method.isIdempotent
        let attempts = retryable ? max(1, configuration.maxAttempts) : 1
        var backoff = configuration.backoffInitial
        var attempt = 1
        while true {
            let outcome = await workers.perform(request, timeoutMilliseconds: (timeout ?? configuration.timeout).wholeMilliseconds)
            let retry: Bool
            switch outcome {
            case .success(let response): retry = response.status >= 500 || response.status == 429
            case .failure(.network): retry = true
            case .failure(.file), .failure(.status): retry = false
            }
            if !retry || attempt >= attempts {
                switch outcome {
                case .success(let response): return (response, attempt)
                case .failure(let kind):
                    throw HTTPError(kind: kind, method: request.method, url: request.url.absoluteString, attempts: attempt)
                }
            }
            try await Task.sleep(for: backoff * Double.random(in: 0.5...1.0))
            backoff = min(backoff * 2, configuration.backoffMax)
            attempt += 1
        }
    }
}

/// The request queue and the worker threads' loop. Each worker owns one curl handle for its life.
private final class Workers: Sendable {
    struct Job {
        let request: HTTPRequest
        let timeoutMilliseconds: Int
        let complete: @Sendable (Result<HTTPResponse, HTTPError.Kind>) -> Void
    }

    private struct Queue {
        var jobs: [Job] = []
        var stopped = false
    }

    private let queue = Mutex(Queue())
    private let signal = NSCondition()
    private let connectTimeoutMilliseconds: Int

    init(connectTimeoutMilliseconds: Int) {
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
    }

    func shutdown() {
        queue.withLock { $0.stopped = true }
        signal.lock()
        signal.broadcast()
        signal.unlock()
    }

    func perform(_ request: HTTPRequest, timeoutMilliseconds: Int) async -> Result<HTTPResponse, HTTPError.Kind> {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponse, HTTPError.Kind>, Never>) in
            let accepted = queue.withLock { queue -> Bool in
                guard !queue.stopped else { return false }
                queue.jobs.append(Job(request: request, timeoutMilliseconds: timeoutMilliseconds) { continuation.resume(returning: $0) })
                return true
            }
            if accepted {
                signal.lock()
                signal.signal()
                signal.unlock()
            } else {
                continuation.resume(
                    returning: .failure(.network(curlCode: Int32(CURLE_FAILED_INIT.rawValue), message: "the HTTP client was shut down")))
            }
        }
    }

    /// A worker's loop: takes jobs until the queue is stopped and empty.
    func work(_ easy: CurlEasy) {
        while true {
            signal.lock()
            var next: Job?
            while true {
                let (job, stopped) = queue.withLock { queue -> (Job?, Bool) in
                    queue.jobs.isEmpty ? (nil, queue.stopped) : (queue.jobs.removeFirst(), false)
                }
                if let job {
                    next = job
                    break
                }
                if stopped {
                    signal.unlock()
                    return
                }
                signal.wait()
            }
            signal.unlock()
            guard let job = next else { continue }
            job.complete(
                easy.perform(job.request, connectTimeoutMilliseconds: connectTimeoutMilliseconds, timeoutMilliseconds: job.timeoutMilliseconds))
        }
    }
}

extension Duration {
    /// Milliseconds, sub-second part included (`components.seconds * 1000` alone drops it), at least 1
    /// for a positive duration: 0 means "no limit" to curl.
    var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        let milliseconds = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
        return self > .zero ? max(1, milliseconds) : 0
    }
}

extension HTTPError.Kind: Error {}
