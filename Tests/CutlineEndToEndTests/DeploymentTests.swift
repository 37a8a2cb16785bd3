import CutlineProductTestSupport
import CutlineTestSupport
import Foundation
import Testing

/// deploy/cloudformation.yaml: cfn-lint finds nothing wrong with it, it deploys to moto's CloudFormation,
/// and a job runs on the bucket, table and queue the stack made (names from its outputs), through the
/// shared queue.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DeploymentTests {
    static let template = TestEnvironment.repository.appendingPathComponent("deploy/cloudformation.yaml")

    @Test func theTemplatePassesCfnLint() throws {
        let linted = try ChildProcess.run(["cfn-lint", Self.template.path])
        #expect(linted.code == 0 && linted.stdout.isEmpty, "cfn-lint:\n\(linted.stdout)\(linted.stderr)")
    }

    @Test func theStackDeploysToMotoAndRunsAJobOnWhatItMade() async throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        // Every AWS service of the stack on moto (S3 too: the stack's bucket is made there).
        var aws = moto.environment
        aws["AWS_ENDPOINT_URL"] = moto.server.baseURL.absoluteString
        aws["AWS_DEFAULT_REGION"] = "us-east-1"
        let deployed = try ChildProcess.run(
            ["python3", TestEnvironment.repository.appendingPathComponent("Tests/Support/deploy-stack.py").path, Self.template.path, "cutline-test"],
            environment: ProcessInfo.processInfo.environment.merging(aws) { _, new in new }, timeout: 120)
        try #require(deployed.code == 0, "deploying the stack: \(deployed.stderr)")
        let stack = try #require(try JSONSerialization.jsonObject(with: Data(deployed.stdout.utf8)) as? [String: Any])
        #expect(stack["status"] as? String == "CREATE_COMPLETE")
        let resources = stack["resources"] as? [String] ?? []
        for type in ["AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::ECS::Cluster", "AWS::ElasticLoadBalancingV2::LoadBalancer"] {
            #expect(resources.contains(type), "\(type) in \(resources)")
        }
        #expect(resources.filter { $0 == "AWS::SQS::Queue" }.count == 2, "the queue and its dead-letter queue")
        #expect(resources.filter { $0 == "AWS::IAM::Role" }.count == 4, "one role per service and ECS's execution role")
        #expect(resources.filter { $0 == "AWS::ECS::Service" }.count == 3 && resources.filter { $0 == "AWS::ECS::TaskDefinition" }.count == 3)
        // The bucket's rules are the ones `cutline storage lifecycle` sets (moto does not keep a stack's
        // bucket rules, so these come from the template), and the browser may PUT and read the ETag.
        #expect(
            stack["lifecycle"] as? [String] == [
                "cutline-abort-unfinished-uploads uploads/", "cutline-retention-clips clips/", "cutline-retention-uploads uploads/",
            ],
            "\(stack["lifecycle"] ?? "none")")
        #expect(stack["cors_methods"] as? [String] == ["GET", "HEAD", "PUT"] && stack["cors_exposes"] as? [String] == ["ETag"])
        #expect(stack["table_key"] as? String == "job_id")
        #expect(stack["dead_letter_after"] as? Int == 2)

        let outputs = try #require(stack["outputs"] as? [String: String])
        let (bucket, table, queue) = (
            try #require(outputs["BucketName"]), try #require(outputs["StatusTableName"]), try #require(outputs["QueueURL"])
        )
        aws["CUTLINE_S3_BUCKET"] = bucket
        aws["CUTLINE_DYNAMODB_TABLE"] = table
        aws["CUTLINE_SQS_QUEUE_URL"] = queue
        let product = try await RunningProduct(environment: aws)
        defer { Teardowns.stop { await product.stop() } }
        let jobID = try product.startJob(ProductFixtures.bigBuckBunny, text: "from the stack")
        let status = try await product.finished(jobID)
        #expect(status.json["state"] as? String == "COMPLETED", "\(String(decoding: status.body, as: UTF8.self))")
        let clips = try #require(status.json["clips"] as? [[String: Any]])
        #expect(!clips.isEmpty && clips.allSatisfy { $0["text"] as? String == "from the stack" })
        // It went through the stack's queue: the render request the task named is in the stack's bucket.
        let listed = try ChildProcess.run(
            [
                "python3", "-c",
                "import boto3, sys; print('\\n'.join(o['Key'] for o in boto3.client('s3').list_objects_v2(Bucket=sys.argv[1], Prefix=sys.argv[2]).get('Contents', [])))",
                bucket, "clips/\(jobID)/",
            ], environment: ProcessInfo.processInfo.environment.merging(aws) { _, new in new })
        #expect(listed.stdout.split(separator: "\n").contains { $0.contains("/render-1-") }, "\(listed.stdout)\(listed.stderr)")
    }
}
