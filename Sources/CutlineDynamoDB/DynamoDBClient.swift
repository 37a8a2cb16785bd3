public import CutlineAWS
public import CutlineHTTP
public import Foundation
import Metrics

/// DynamoDB's JSON 1.0 protocol over the libcurl HTTP client, signed with SigV4. Every operation Cutline
/// uses is idempotent by design (conditional writes keyed by job_id), so failures are retried:
/// network errors, 5xx and throttling, with backoff.
public struct DynamoDBClient: Sendable {
    public let endpoint: URL
    let http: HTTPClient
    let signer: SigV4Signer

    public init(endpoint: URL, signer: SigV4Signer, http: HTTPClient) {
        self.endpoint = endpoint
        self.signer = signer
        self.http = http
    }

    /// From the standard AWS variables (credentials, region, AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL).
    public init(environment: [String: String], http: HTTPClient) throws {
        let region = try AWSRegion.fromEnvironment(environment)
        self.init(
            endpoint: try AWSEndpoints.resolve(.dynamoDB, region: region, env: environment),
            signer: SigV4Signer(credentials: try AWSCredentials.fromEnvironment(environment), region: region, service: .dynamoDB),
            http: http)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Calls `operation` with a JSON body; returns the decoded answer.
    func call<Input: Encodable, Output: Decodable>(_ operation: String, table: String?, _ input: Input, as output: Output.Type) async throws -> Output
    {
        let body = [UInt8](try Self.encoder.encode(input))
        var headers: [(String, String)] = [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", "DynamoDB_20120810.\(operation)"),
        ]
        var backoff: Duration = .milliseconds(50)
        let started = ContinuousClock.now
        defer {
            Timer(label: "cutline_aws_request_duration_seconds", dimensions: [("service", "dynamodb"), ("operation", operation)])
                .record(duration: ContinuousClock.now - started)
        }
        for attempt in 1...5 {
            let signing = try SigV4Request(
                method: "POST", url: endpoint, headers: headers.map { (name: $0.0, value: $0.1) },
                payloadHash: SigV4Signer.payloadHash(body))
            let signed = headers + (try signer.signHeaders(request: signing)).map { ($0.name, $0.value) }
            let response = try await http.send(HTTPRequest(method: .post, url: endpoint, headers: signed, body: .bytes(body), retryable: true))
            if (200..<300).contains(response.status) {
                return try JSONDecoder().decode(Output.self, from: Data(response.body))
            }
            let error = Self.error(response, operation: operation, table: table)
            Counter(label: "cutline_aws_request_errors_total", dimensions: [("service", "dynamodb"), ("operation", operation), ("code", error.code)])
                .increment()
            guard error.isThrottling, attempt < 5 else { throw error }
            try await Task.sleep(for: backoff * Double.random(in: 0.5...1.0))
            backoff *= 2
        }
        headers = []
        throw DynamoDBError(code: "Unreachable", message: "retries exhausted", status: 0, operation: operation, table: table)
    }

    static func error(_ response: HTTPResponse, operation: String, table: String?) -> DynamoDBError {
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
        let code = body?.type.map { String($0.split(separator: "#").last ?? Substring($0)) } ?? "HTTP\(response.status)"
        return DynamoDBError(
            code: code, message: body?.message ?? body?.Message ?? response.bodyText, status: response.status,
            operation: operation, table: table)
    }

    // MARK: Operations

    struct Empty: Codable {}

    public func getItem(table: String, key: Item, consistentRead: Bool = true) async throws -> Item? {
        struct Input: Encodable {
            var TableName: String
            var Key: Item
            var ConsistentRead: Bool
        }
        struct Output: Decodable { var Item: Item? }
        return try await call("GetItem", table: table, Input(TableName: table, Key: key, ConsistentRead: consistentRead), as: Output.self).Item
    }

    public func putItem(table: String, item: Item, condition: String? = nil, names: [String: String]? = nil, values: Item? = nil) async throws {
        struct Input: Encodable {
            var TableName: String
            var Item: Item
            var ConditionExpression: String?
            var ExpressionAttributeNames: [String: String]?
            var ExpressionAttributeValues: Item?
        }
        _ = try await call(
            "PutItem", table: table,
            Input(
                TableName: table, Item: item, ConditionExpression: condition,
                ExpressionAttributeNames: names, ExpressionAttributeValues: values), as: Empty.self)
    }

    /// Returns false when the condition did not hold (an expected outcome, not an error).
    public func updateItem(
        table: String, key: Item, update: String, condition: String? = nil, names: [String: String]? = nil, values: Item? = nil
    ) async throws -> Bool {
        struct Input: Encodable {
            var TableName: String
            var Key: Item
            var UpdateExpression: String
            var ConditionExpression: String?
            var ExpressionAttributeNames: [String: String]?
            var ExpressionAttributeValues: Item?
        }
        do {
            _ = try await call(
                "UpdateItem", table: table,
                Input(
                    TableName: table, Key: key, UpdateExpression: update, ConditionExpression: condition,
                    ExpressionAttributeNames: names, ExpressionAttributeValues: values), as: Empty.self)
            return true
        } catch let error as DynamoDBError where error.isConditionalCheckFailed {
            return false
        }
    }

    public func deleteItem(table: String, key: Item) async throws {
        struct Input: Encodable {
            var TableName: String
            var Key: Item
        }
        _ = try await call("DeleteItem", table: table, Input(TableName: table, Key: key), as: Empty.self)
    }

    /// Creates a table keyed by one string attribute, billed per request; succeeds if it already exists.
    public func createTable(_ table: String, hashKey: String) async throws {
        struct Attribute: Encodable {
            var AttributeName: String
            var AttributeType = "S"
        }
        struct Key: Encodable {
            var AttributeName: String
            var KeyType = "HASH"
        }
        struct Input: Encodable {
            var TableName: String
            var AttributeDefinitions: [Attribute]
            var KeySchema: [Key]
            var BillingMode = "PAY_PER_REQUEST"
        }
        do {
            _ = try await call(
                "CreateTable", table: table,
                Input(
                    TableName: table, AttributeDefinitions: [Attribute(AttributeName: hashKey)],
                    KeySchema: [Key(AttributeName: hashKey)]), as: Empty.self)
        } catch let error as DynamoDBError where error.code == "ResourceInUseException" {
            return
        }
    }

    /// The table's status (`ACTIVE`, `CREATING`, …).
    public func describeTable(_ table: String) async throws -> String {
        struct Input: Encodable { var TableName: String }
        struct Output: Decodable {
            struct Table: Decodable { var TableStatus: String }
            var Table: Table
        }
        return try await call("DescribeTable", table: table, Input(TableName: table), as: Output.self).Table.TableStatus
    }

    public func deleteTable(_ table: String) async throws {
        struct Input: Encodable { var TableName: String }
        _ = try await call("DeleteTable", table: table, Input(TableName: table), as: Empty.self)
    }
}
