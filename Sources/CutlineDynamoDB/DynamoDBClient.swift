public import CutlineAWS
public import CutlineHTTP
public import Foundation

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

    /// Calls `operation` with a JSON body; returns the decoded answer.
    func call<Input: Encodable, Output: Decodable>(_ operation: String, table: String?, _ input: Input, as output: Output.Type) async throws -> Output
    {
        try await AWSJSONClient(endpoint: endpoint, signer: signer, http: http, targetPrefix: "DynamoDB_20120810", metricsName: "dynamodb").call(
            operation, input, as: output,
            error: { DynamoDBError(code: $0.type, message: $0.message, status: $0.status, operation: operation, table: table) },
            isThrottling: \.isThrottling)
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

    /// Every item of the table that `filter` keeps, read page by page (a Scan reads the whole table:
    /// for the Gateway's listings and sweeps, not for answering one job).
    public func scan(table: String, filter: String, names: [String: String], values: Item) async throws -> [Item] {
        struct Input: Encodable {
            var TableName: String
            var FilterExpression: String
            var ExpressionAttributeNames: [String: String]
            var ExpressionAttributeValues: Item
            var ConsistentRead = true
            var ExclusiveStartKey: Item?
        }
        struct Output: Decodable {
            var Items: [Item]?
            var LastEvaluatedKey: Item?
        }
        var items: [Item] = []
        var start: Item?
        repeat {
            let page = try await call(
                "Scan", table: table,
                Input(
                    TableName: table, FilterExpression: filter, ExpressionAttributeNames: names, ExpressionAttributeValues: values,
                    ExclusiveStartKey: start),
                as: Output.self)
            items += page.Items ?? []
            start = page.LastEvaluatedKey
        } while start != nil
        return items
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
