/// An error SQS answered with (its error type, message and HTTP status), naming the queue and the
/// operation so a person can tell which setting to fix.
public struct SQSError: Error, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String
    public let status: Int
    public let operation: String
    public let queue: String?

    public var isQueueMissing: Bool { code == "QueueDoesNotExist" || code == "AWS.SimpleQueueService.NonExistentQueue" }
    /// The receipt handle is no longer valid: the message was received again elsewhere or deleted.
    public var isReceiptInvalid: Bool { code == "ReceiptHandleIsInvalid" || code == "MessageNotInflight" || code == "InvalidParameterValue" }
    public var isThrottling: Bool {
        ["ThrottlingException", "RequestThrottled", "KmsThrottled", "ServiceUnavailable"].contains(code) || status >= 500
    }

    public var description: String {
        let target = queue.map { "\(operation) on queue \($0)" } ?? operation
        if isQueueMissing, let queue {
            return "\(target): the queue does not exist (create it with `cutline queue create`, or check CUTLINE_SQS_QUEUE_URL=\(queue)): \(message)"
        }
        return "\(target) failed: \(code): \(message) (HTTP \(status))"
    }
}
