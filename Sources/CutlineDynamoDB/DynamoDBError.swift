/// An error DynamoDB answered with: its error type (the part after `#` in `__type`), its message and
/// the HTTP status; or a transport failure.
public struct DynamoDBError: Error, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String
    public let status: Int
    public let operation: String
    public let table: String?

    public var isConditionalCheckFailed: Bool { code == "ConditionalCheckFailedException" }
    public var isResourceNotFound: Bool { code == "ResourceNotFoundException" }
    public var isThrottling: Bool {
        ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "LimitExceededException"].contains(code)
    }

    public var description: String {
        let target = table.map { "\(operation) on table \($0)" } ?? operation
        if isResourceNotFound, let table {
            return "\(target): table \(table) does not exist (create it with `cutline dynamodb create-table`): \(message)"
        }
        return "\(target) failed: \(code): \(message) (HTTP \(status))"
    }
}
