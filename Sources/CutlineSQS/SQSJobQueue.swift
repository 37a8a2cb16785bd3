public import CutlineOutbox
public import Foundation

/// The shared job queue on SQS: the Gateway's outbox sends render tasks here, and every MediaProcessor
/// receives them, keeping the one it works on invisible to the others while it works.
public struct SQSJobQueue: MessageSink {
    public let client: SQSClient
    public let url: URL
    /// How long a received task stays invisible to the other processors; renewed while it renders.
    public let visibility: Duration

    public init(client: SQSClient, url: URL, visibility: Duration) {
        self.client = client
        self.url = url
        self.visibility = visibility
    }

    public func send(_ message: QueuedMessage) async throws {
        try await client.send(url, body: message.body)
    }
}
