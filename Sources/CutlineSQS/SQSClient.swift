public import CutlineAWS
public import CutlineHTTP
public import Foundation

/// SQS's JSON 1.0 protocol over the libcurl HTTP client, signed with SigV4: the few operations a job
/// queue needs. Sends carry a deduplication-free body (a job's task is idempotent on the receiving side),
/// so every call may be retried on network errors, 5xx and throttling.
public struct SQSClient: Sendable {
    public let endpoint: URL
    let http: HTTPClient
    let signer: SigV4Signer

    public init(endpoint: URL, signer: SigV4Signer, http: HTTPClient) {
        self.endpoint = endpoint
        self.signer = signer
        self.http = http
    }

    /// From the standard AWS variables (credentials, region, AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL); with
    /// neither endpoint variable set, the queue URL's own origin (which is the regional endpoint on AWS).
    public init(environment: [String: String], queueURL: URL? = nil, http: HTTPClient) throws {
        let region = try AWSRegion.fromEnvironment(environment)
        var endpoint = try AWSEndpoints.resolve(.sqs, region: region, env: environment)
        let overridden = [AWSService.sqs.endpointVariable, AWSEndpoints.genericEndpointVariable].contains { !(environment[$0] ?? "").isEmpty }
        if !overridden, let queueURL, let scheme = queueURL.scheme, let host = queueURL.host() {
            endpoint = URL(string: "\(scheme)://\(host)\(queueURL.port.map { ":\($0)" } ?? "")") ?? endpoint
        }
        self.init(
            endpoint: endpoint,
            signer: SigV4Signer(credentials: try AWSCredentials.fromEnvironment(environment), region: region, service: .sqs),
            http: http)
    }

    struct Empty: Codable {}

    /// Calls `operation` with a JSON body; `timeout` covers a long poll's wait.
    func call<Input: Encodable, Output: Decodable>(
        _ operation: String, queue: String?, _ input: Input, as output: Output.Type, timeout: Duration? = nil
    ) async throws -> Output {
        try await AWSJSONClient(endpoint: endpoint, signer: signer, http: http, targetPrefix: "AmazonSQS", metricsName: "sqs").call(
            operation, input, as: output, timeout: timeout,
            error: { SQSError(code: $0.type, message: $0.message, status: $0.status, operation: operation, queue: queue) },
            isThrottling: \.isThrottling)
    }
}

/// A message as received: its body, the handle that deletes it or changes its visibility, and how many
/// times it has been received (this time included).
public struct SQSMessage: Sendable, Hashable {
    public var messageID: String
    public var receiptHandle: String
    public var body: String
    public var receiveCount: Int
    public var sentAt: Date?
}

extension SQSClient {
    /// Creates the queue (or finds it, when it exists with the same attributes); its URL.
    public func createQueue(_ name: String, attributes: [String: String] = [:]) async throws -> URL {
        struct Input: Encodable {
            var QueueName: String
            var Attributes: [String: String]?
        }
        struct Output: Decodable { var QueueUrl: String }
        let url = try await call(
            "CreateQueue", queue: name, Input(QueueName: name, Attributes: attributes.isEmpty ? nil : attributes), as: Output.self
        )
        .QueueUrl
        guard let parsed = URL(string: url) else {
            throw SQSError(code: "BadAnswer", message: "queue URL \(url)", status: 200, operation: "CreateQueue", queue: name)
        }
        return parsed
    }

    public func queueURL(named name: String) async throws -> URL {
        struct Input: Encodable { var QueueName: String }
        struct Output: Decodable { var QueueUrl: String }
        let url = try await call("GetQueueUrl", queue: name, Input(QueueName: name), as: Output.self).QueueUrl
        guard let parsed = URL(string: url) else {
            throw SQSError(code: "BadAnswer", message: "queue URL \(url)", status: 200, operation: "GetQueueUrl", queue: name)
        }
        return parsed
    }

    public func attributes(_ queue: URL, names: [String] = ["All"]) async throws -> [String: String] {
        struct Input: Encodable {
            var QueueUrl: String
            var AttributeNames: [String]
        }
        struct Output: Decodable { var Attributes: [String: String]? }
        return try await call(
            "GetQueueAttributes", queue: queue.absoluteString, Input(QueueUrl: queue.absoluteString, AttributeNames: names), as: Output.self
        ).Attributes ?? [:]
    }

    public func setAttributes(_ queue: URL, _ attributes: [String: String]) async throws {
        struct Input: Encodable {
            var QueueUrl: String
            var Attributes: [String: String]
        }
        _ = try await call(
            "SetQueueAttributes", queue: queue.absoluteString, Input(QueueUrl: queue.absoluteString, Attributes: attributes), as: Empty.self)
    }

    /// Sends one message; its message id.
    @discardableResult
    public func send(_ queue: URL, body: String) async throws -> String {
        struct Input: Encodable {
            var QueueUrl: String
            var MessageBody: String
        }
        struct Output: Decodable { var MessageId: String }
        return try await call("SendMessage", queue: queue.absoluteString, Input(QueueUrl: queue.absoluteString, MessageBody: body), as: Output.self)
            .MessageId
    }

    /// Up to `maximum` messages, waiting up to `wait` for the first (a long poll); each stays invisible to
    /// other receivers for `visibility` (the queue's own setting when nil).
    public func receive(_ queue: URL, maximum: Int = 1, wait: Duration = .seconds(10), visibility: Duration? = nil) async throws -> [SQSMessage] {
        struct Input: Encodable {
            var QueueUrl: String
            var MaxNumberOfMessages: Int
            var WaitTimeSeconds: Int
            var VisibilityTimeout: Int?
            var MessageSystemAttributeNames = ["ApproximateReceiveCount", "SentTimestamp"]
            // Older servers read the previous name of the same list.
            var AttributeNames = ["ApproximateReceiveCount", "SentTimestamp"]
        }
        struct Output: Decodable {
            struct Message: Decodable {
                var MessageId: String
                var ReceiptHandle: String
                var Body: String
                var Attributes: [String: String]?
            }
            var Messages: [Message]?
        }
        let seconds = Int(wait.components.seconds)
        let answer = try await call(
            "ReceiveMessage", queue: queue.absoluteString,
            Input(
                QueueUrl: queue.absoluteString, MaxNumberOfMessages: min(10, max(1, maximum)), WaitTimeSeconds: min(20, max(0, seconds)),
                VisibilityTimeout: visibility.map { Int($0.components.seconds) }),
            as: Output.self, timeout: .seconds(seconds + 30))
        return (answer.Messages ?? []).map { message in
            SQSMessage(
                messageID: message.MessageId, receiptHandle: message.ReceiptHandle, body: message.Body,
                receiveCount: message.Attributes?["ApproximateReceiveCount"].flatMap(Int.init) ?? 1,
                sentAt: message.Attributes?["SentTimestamp"].flatMap(Double.init).map { Date(timeIntervalSince1970: $0 / 1000) })
        }
    }

    public func delete(_ queue: URL, receiptHandle: String) async throws {
        struct Input: Encodable {
            var QueueUrl: String
            var ReceiptHandle: String
        }
        _ = try await call(
            "DeleteMessage", queue: queue.absoluteString, Input(QueueUrl: queue.absoluteString, ReceiptHandle: receiptHandle), as: Empty.self)
    }

    /// Keeps a received message invisible for `visibility` from now (0 makes it visible at once).
    public func changeVisibility(_ queue: URL, receiptHandle: String, visibility: Duration) async throws {
        struct Input: Encodable {
            var QueueUrl: String
            var ReceiptHandle: String
            var VisibilityTimeout: Int
        }
        _ = try await call(
            "ChangeMessageVisibility", queue: queue.absoluteString,
            Input(QueueUrl: queue.absoluteString, ReceiptHandle: receiptHandle, VisibilityTimeout: Int(visibility.components.seconds)), as: Empty.self
        )
    }

    public func deleteQueue(_ queue: URL) async throws {
        struct Input: Encodable { var QueueUrl: String }
        _ = try await call("DeleteQueue", queue: queue.absoluteString, Input(QueueUrl: queue.absoluteString), as: Empty.self)
    }

    /// The dead-letter queue the queue's redrive policy names, and after how many receives it moves a
    /// message there; nil when the queue has none.
    public func deadLetterQueue(of queue: URL) async throws -> (url: URL, maxReceiveCount: Int)? {
        guard let policy = try await attributes(queue, names: ["RedrivePolicy"])["RedrivePolicy"],
            let object = try? JSONSerialization.jsonObject(with: Data(policy.utf8)) as? [String: Any],
            let arn = object["deadLetterTargetArn"] as? String, let name = arn.split(separator: ":").last
        else { return nil }
        let count = (object["maxReceiveCount"] as? Int) ?? Int("\(object["maxReceiveCount"] ?? "")") ?? 0
        return (try await queueURL(named: String(name)), count)
    }
}
