import Foundation

/// moto's standalone server on a loopback port, serving DynamoDB's and SQS's APIs (the only one
/// installable here). It keeps everything in memory and does not check signatures; the signer is proven
/// by AWS's vectors. Started through `scripts/moto-server`, which makes its DynamoDB conditional writes
/// atomic, as DynamoDB's are (moto's threads check and write without a lock).
public final class MotoServer: @unchecked Sendable {
    public let server: LoopbackServer
    /// The AWS variables that point an SDK (or Cutline) at this server.
    public let environment: [String: String]

    public init() throws {
        let script = TestEnvironment.repository.appendingPathComponent("scripts/moto-server").path
        server = try LoopbackServer(["python3", script, "-H", "127.0.0.1", "-p", "{port}"], readyTimeout: 60)
        environment = [
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_DYNAMODB": server.baseURL.absoluteString, "AWS_ENDPOINT_URL_SQS": server.baseURL.absoluteString,
        ]
    }

    public func stop() { server.stop() }
}
