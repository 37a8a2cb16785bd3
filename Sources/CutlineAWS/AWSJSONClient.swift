public import CutlineHTTP
public import Foundation
import Metrics

/// AWS's JSON 1.0 protocol (DynamoDB, SQS) over the libcurl client, signed with SigV4: one POST per
/// operation, named by `X-Amz-Target`. Every call is timed and its failures counted by service and
/// operation; failures the service calls throttling are tried again, up to five tries, with backoff.
public struct AWSJSONClient: Sendable {
    public let endpoint: URL
    let http: HTTPClient
    let signer: SigV4Signer
    /// The operation names' prefix, e.g. `DynamoDB_20120810` or `AmazonSQS`.
    let targetPrefix: String
    /// The service's name in the metrics (`dynamodb`, `sqs`).
    let metricsName: String

    public init(endpoint: URL, signer: SigV4Signer, http: HTTPClient, targetPrefix: String, metricsName: String) {
        self.endpoint = endpoint
        self.signer = signer
        self.http = http
        self.targetPrefix = targetPrefix
        self.metricsName = metricsName
    }

    /// What a service answered instead of success: its error type (the part after `#` in `__type`, or
    /// the query-compatible code), message and HTTP status.
    public struct Failure: Sendable {
        public let type: String
        public let message: String
        public let status: Int
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Posts `operation` with `input` as JSON; the decoded answer (an empty body reads as `{}`). A failure
    /// becomes the error `error` makes of it; it is tried again when `isThrottling` says so.
    public func call<Input: Encodable, Output: Decodable, Failed: Error>(
        _ operation: String, _ input: Input, as output: Output.Type, timeout: Duration? = nil,
        error makeError: (Failure) -> Failed, isThrottling: (Failed) -> Bool
    ) async throws -> Output {
        let body = [UInt8](try Self.encoder.encode(input))
        let headers: [(String, String)] = [("Content-Type", "application/x-amz-json-1.0"), ("X-Amz-Target", "\(targetPrefix).\(operation)")]
        let started = ContinuousClock.now
        defer {
            Timer(label: "cutline_aws_request_duration_seconds", dimensions: [("service", metricsName), ("operation", operation)])
                .record(duration: ContinuousClock.now - started)
        }
        var backoff: Duration = .milliseconds(50)
        var attempt = 1
        while true {
            let signing = try SigV4Request(
                method: "POST", url: endpoint, headers: headers.map { (name: $0.0, value: $0.1) }, payloadHash: SigV4Signer.payloadHash(body))
            let signed = headers + (try signer.signHeaders(request: signing)).map { ($0.name, $0.value) }
            let response = try await http.send(
                HTTPRequest(method: .post, url: endpoint, headers: signed, body: .bytes(body), retryable: true), timeout: timeout)
            if (200..<300).contains(response.status) {
                return try JSONDecoder().decode(Output.self, from: response.body.isEmpty ? Data("{}".utf8) : Data(response.body))
            }
            let failure = Self.failure(response)
            Counter(
                label: "cutline_aws_request_errors_total", dimensions: [("service", metricsName), ("operation", operation), ("code", failure.type)]
            )
            .increment()
            let error = makeError(failure)
            guard isThrottling(error), attempt < 5 else { throw error }
            try await Task.sleep(for: backoff * Double.random(in: 0.5...1.0))
            backoff *= 2
            attempt += 1
        }
    }

    static func failure(_ response: HTTPResponse) -> Failure {
        struct Body: Decodable {
            var type: String?
            var message: String?
            var Message: String?
            enum CodingKeys: String, CodingKey {
                case type = "__type"
                case message, Message
            }
        }
        let body = try? JSONDecoder().decode(Body.self, from: Data(response.body))
        // SQS also sends the query protocol's code (e.g. AWS.SimpleQueueService.NonExistentQueue) in a header.
        let queryCode = response.headers.first { $0.key.lowercased() == "x-amzn-query-error" }?.value.split(separator: ";").first.map(String.init)
        let type = body?.type.map { String($0.split(separator: "#").last ?? Substring($0)) } ?? queryCode ?? "HTTP\(response.status)"
        return Failure(type: type, message: body?.message ?? body?.Message ?? response.bodyText, status: response.status)
    }
}
