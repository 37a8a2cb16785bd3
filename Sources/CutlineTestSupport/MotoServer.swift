import Foundation

/// moto's standalone server on a loopback port, serving DynamoDB's and SQS's APIs (the only one
/// installable here). It keeps everything in memory and does not check signatures; the signer is proven
/// by AWS's vectors.
public final class MotoServer: @unchecked Sendable {
    public let server: LoopbackServer
    /// The AWS variables that point an SDK (or Cutline) at this server.
    public let environment: [String: String]

    public init() throws {
        server = try LoopbackServer(["moto_server", "-H", "127.0.0.1", "-p", "{port}"], readyTimeout: 60)
        environment = [
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_DYNAMODB": server.baseURL.absoluteString, "AWS_ENDPOINT_URL_SQS": server.baseURL.absoluteString,
        ]
    }

    public func stop() { server.stop() }
}
