public import ArgumentParser
public import Foundation

/// How queued jobs reach the MediaProcessors, for the services and the CLI alike.
public struct QueueOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("sqs-queue-url"),
        help:
            "Queue jobs on this SQS queue (with the standard AWS variables), for any number of MediaProcessors. Env CUTLINE_SQS_QUEUE_URL. Unset: the Gateway hands each job to its one MediaProcessor."
    )
    public var sqsQueueURL: String?

    public init() {}
}

/// The resolved job-queue choice, a plain value: `CutlineAdapters` makes the queue it names.
public enum QueueSettings: Sendable, Hashable {
    /// The Gateway hands each job to its MediaProcessor over RPC; it waits in the processor's own table.
    case embedded
    /// Jobs are messages on an SQS queue that every MediaProcessor long-polls. A processor keeps the
    /// message it works on invisible to the others for `visibility`, renewed while it works; a message
    /// whose processor died reappears after at most that long. The Gateway splits a job into tasks of
    /// about `taskSeconds` of video each, so several processors render one job at once.
    case sqs(queueURL: URL, visibility: Duration, taskSeconds: Double, environment: [String: String])

    public var isDistributed: Bool { if case .sqs = self { true } else { false } }

    /// How much video one task of a job holds (distributed mode); nil when jobs are not split.
    public var taskSeconds: Double? { if case .sqs(_, _, let seconds, _) = self { seconds } else { nil } }

    public init(_ options: QueueOptions?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let url = Setting(flag: "sqs-queue-url", env: "CUTLINE_SQS_QUEUE_URL", value: options?.sqsQueueURL, environment: environment)
        guard let text = url.raw else {
            self = .embedded
            return
        }
        // https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (or a local server's http URL of the same shape).
        guard let parsed = URL(string: text), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = parsed.host(), !host.isEmpty, parsed.pathComponents.filter({ $0 != "/" }).count == 2
        else {
            throw ValidationError(
                "\(url.name): \"\(text)\" is not a queue URL; it looks like https://sqs.us-east-1.amazonaws.com/123456789012/cutline-jobs (`cutline queue create` prints one)"
            )
        }
        let visibility = try Setting(
            flag: "sqs-visibility-timeout", env: "CUTLINE_SQS_VISIBILITY_TIMEOUT", value: nil, environment: environment
        ).seconds(default: 60, range: 5...43_200)
        let taskSeconds = try Setting(flag: "task-seconds", env: "CUTLINE_TASK_SECONDS", value: nil, environment: environment).seconds(
            default: 60, range: 1...86_400)
        self = .sqs(
            queueURL: parsed, visibility: visibility,
            taskSeconds: Double(taskSeconds.components.seconds) + Double(taskSeconds.components.attoseconds) / 1e18,
            environment: awsVariables(environment))
    }
}
