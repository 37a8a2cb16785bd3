import CutlineRPC
import Foundation

/// How settings print: what they choose and where it points, never a secret, a key or the
/// environment they were read from (settings end up in logs and error messages).

extension StatusSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        switch self {
        case .dynamoDB(let table, let keyAttribute, let environment):
            let endpoint = environment["AWS_ENDPOINT_URL_DYNAMODB"] ?? environment["AWS_ENDPOINT_URL"] ?? "AWS"
            return "DynamoDB table \(table) (key \(keyAttribute)) at \(endpoint)"
        case .embedded(let path):
            return "embedded table \(path)"
        }
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["status": description]) }
}

extension StorageSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        switch self {
        case .s3(let bucket, let environment, let publicEndpoint):
            let endpoint = environment["AWS_ENDPOINT_URL_S3"] ?? environment["AWS_ENDPOINT_URL"] ?? "AWS"
            return "S3 bucket \(bucket) at \(endpoint)" + (publicEndpoint.map { ", signed URLs at \($0.absoluteString)" } ?? "")
        case .embedded(let directory, _, let publicURL):
            return "embedded store \(directory.path), signed URLs at \(publicURL.absoluteString)"
        }
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["storage": description]) }
}

extension QueueSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        switch self {
        case .embedded:
            return "jobs handed to the MediaProcessor over RPC"
        case .sqs(let queueURL, let visibility, let taskSeconds, _):
            return "jobs on SQS queue \(queueURL.absoluteString) (visibility \(visibility), tasks of \(taskSeconds) s)"
        }
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["queue": description]) }
}

extension ResolvedCommon: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        let secret =
            switch secretSource {
            case .value(_, let origin): "from \(origin)"
            case .file(let path, _): "from the file \(path)"
            case .dataDirectory(let path): "from the file \(path)"
            }
        return "data \(dataDirectory), log \(logLevel) \(logFormat), RPC secret \(secret), frames ≤ \(maxFrameBytes) bytes"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["common": description]) }
}

extension ServiceSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "\(name): \(common); \(storage); \(status); \(queue)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["service": description]) }
}

extension GatewayHTTPSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "HTTP on \(host):\(port), public URL \(publicURL.absoluteString), uploads ≤ \(maxUploadBytes) bytes, API token \(apiToken == nil ? "none" : "set"), media \(mediaAddresses.map(\.description).joined(separator: ",")), text \(textAddress)"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["http": description]) }
}

extension TextSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "text engine \(engine.rawValue)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["text": description]) }
}

/// The variables the AWS clients read (`AWS_*`), and nothing else of the process's environment: the
/// settings that keep them do not carry the other services' secrets along.
func awsVariables(_ environment: [String: String]) -> [String: String] {
    environment.filter { $0.key.hasPrefix("AWS_") }
}
