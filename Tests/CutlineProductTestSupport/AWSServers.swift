import ArgumentParser
import CutlineContracts
import CutlineCore
import CutlineGatewayApp
import CutlineJobStore
import CutlineMediaProcessorApp
import CutlineOutbox
import CutlineRPC
import CutlineSQLite
import CutlineServiceHost
import CutlineSettings
import CutlineStorage
package import CutlineTestSupport
import CutlineTextApp
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// SeaweedFS (S3, signatures enforced) and moto (DynamoDB) on loopback, with the bucket and the status
/// table made (the table by `cutline dynamodb create-table`, as an operator makes it), and the settings
/// that point the services at them.
package final class AWSServers: @unchecked Sendable {
    package let seaweed: SeaweedFS
    package let moto: MotoServer
    package let environment: [String: String]

    /// `browserUploads`: the bucket also gets the CORS rule `scripts/run --s3` sets, so a page can PUT
    /// to it and read the ETag.
    package init(bucket: String, table: String, browserUploads: Bool = false) throws {
        seaweed = try SeaweedFS()
        moto = try MotoServer()
        var aws = moto.environment
        aws["AWS_ACCESS_KEY_ID"] = SeaweedFS.accessKeyID  // moto takes any key; SeaweedFS checks it
        aws["AWS_SECRET_ACCESS_KEY"] = SeaweedFS.secretAccessKey
        aws["AWS_ENDPOINT_URL_S3"] = seaweed.endpoint.absoluteString
        aws["CUTLINE_S3_BUCKET"] = bucket
        aws["CUTLINE_DYNAMODB_TABLE"] = table
        environment = aws
        let made = try SeaweedFS.curl([
            "-X", "PUT", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "\(SeaweedFS.accessKeyID):\(SeaweedFS.secretAccessKey)",
            "\(seaweed.endpoint.absoluteString)/\(bucket)",
        ])
        guard made.status == 200 else { throw TestSupportError("creating bucket \(bucket) answered HTTP \(made.status)") }
        if browserUploads {
            let cors = """
                import sys, boto3
                boto3.client("s3").put_bucket_cors(Bucket=sys.argv[1], CORSConfiguration={"CORSRules": [{
                    "AllowedOrigins": ["*"], "AllowedMethods": ["GET", "PUT", "HEAD"], "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3600}]})
                """
            let set = try ChildProcess.run(
                ["python3", "-c", cors, bucket], environment: ProcessInfo.processInfo.environment.merging(aws) { _, new in new })
            guard set.code == 0 else { throw TestSupportError("setting the bucket's CORS rule: \(set.stderr)") }
        }
        let created = try ChildProcess.run(
            [TestEnvironment.executable("cutline"), "dynamodb", "create-table"],
            environment: ProcessInfo.processInfo.environment.merging(aws) { _, new in new })
        guard created.code == 0 else { throw TestSupportError("cutline dynamodb create-table: \(created.stderr)") }
    }

    package func stop() {
        seaweed.stop()
        moto.stop()
    }
}
