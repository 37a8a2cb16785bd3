import CutlineProductTestSupport
import CutlineTestSupport
import Foundation
import Testing

/// deploy/cloudformation.yaml: cfn-lint finds nothing wrong with it, it deploys to moto's CloudFormation,
/// and a job runs on the bucket, table and queue the stack made (names from its outputs), through the
/// shared queue. docker-compose.yml: both profiles pass `docker-compose config` and the compose spec's
/// schema, and wire the services as each mode needs (no container engine runs here).
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

    static let compose = TestEnvironment.repository.appendingPathComponent("docker-compose.yml")

    /// `docker-compose config` as JSON: the file with its anchors merged and its variables set.
    static func composeConfig(_ environment: [String: String]) throws -> (code: Int32, config: [String: Any], stderr: String) {
        let script = """
            set -o pipefail
            docker-compose -f "$1" config | python3 -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'
            """
        let run = try ChildProcess.run(
            ["bash", "-c", script, "compose-config", compose.path],
            environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new })
        let config = (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any] ?? [:]
        return (run.code, config, run.stderr)
    }

    @Test func theComposeFileValidatesAndWiresBothModes() throws {
        let schema = try ChildProcess.run(["check-jsonschema", "--builtin-schema", "vendor.compose-spec", Self.compose.path])
        #expect(schema.code == 0, "\(schema.stdout)\(schema.stderr)")
        let missing = try Self.composeConfig(["CUTLINE_RPC_SECRET": ""])
        #expect(missing.code != 0 && missing.stderr.contains("set CUTLINE_RPC_SECRET"), "\(missing.stderr)")

        let (code, config, stderr) = try Self.composeConfig(["CUTLINE_RPC_SECRET": String(repeating: "ab", count: 32)])
        try #require(code == 0, "docker-compose config: \(stderr)")
        let services = try #require(config["services"] as? [String: [String: Any]])
        func environment(_ name: String) -> [String: String] { services[name]?["environment"] as? [String: String] ?? [:] }
        func profiles(_ name: String) -> [String] { services[name]?["profiles"] as? [String] ?? [] }
        // docker-compose 1.29 prints each volume as SOURCE:TARGET:MODE, or TARGET alone for an anonymous one.
        func volumes(_ name: String) -> [String] {
            (services[name]?["volumes"] as? [String] ?? []).map { $0.hasSuffix(":rw") ? String($0.dropLast(3)) : $0 }
        }

        // Embedded: one data volume, so the processor stores clips where the Gateway serves them, and
        // it reads uploads through the Gateway by its name on the compose network.
        #expect(profiles("gateway-embedded") == ["embedded"] && profiles("media-embedded") == ["embedded"])
        #expect(volumes("gateway-embedded") == ["embedded-data:/var/lib/cutline"] && volumes("media-embedded") == volumes("gateway-embedded"))
        #expect(environment("media-embedded")["CUTLINE_PUBLIC_URL"] == "http://gateway-embedded:8080")
        #expect(environment("gateway-embedded")["CUTLINE_MEDIA_ADDRESS"] == "media-embedded:7420")

        // Distributed: the AWS stand-ins, every service on the same bucket, table and queue, and
        // processors that scale (no host port, a volume of their own each).
        for name in ["seaweedfs", "moto", "bucket", "setup", "gateway", "media"] { #expect(profiles(name) == ["distributed"], "\(name)") }
        #expect(profiles("text") == ["embedded", "distributed"])
        for key in ["CUTLINE_S3_BUCKET", "CUTLINE_DYNAMODB_TABLE", "CUTLINE_SQS_QUEUE_URL", "AWS_ENDPOINT_URL_S3"] {
            #expect(environment("gateway")[key] != nil && environment("gateway")[key] == environment("media")[key], "\(key)")
        }
        #expect(services["media"]?["ports"] == nil && volumes("media") == ["/var/lib/cutline"], "\(volumes("media"))")
        // Gateways scale too: no host port and an outbox volume each, behind haproxy's one address,
        // whose configuration haproxy itself accepts.
        #expect(services["gateway"]?["ports"] == nil && volumes("gateway") == ["/var/lib/cutline"], "\(volumes("gateway"))")
        #expect(
            profiles("front") == ["distributed"]
                && volumes("front").contains { $0.hasSuffix("/deploy/haproxy-compose.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro") })
        let haproxy = try ChildProcess.run([
            "haproxy", "-c", "-f", TestEnvironment.repository.appendingPathComponent("deploy/haproxy-compose.cfg").path,
        ])
        #expect(haproxy.code == 0, "haproxy -c: \(haproxy.stdout)\(haproxy.stderr)")
        #expect(environment("gateway")["CUTLINE_MEDIA_ADDRESS"] == "media:7420")
        #expect(environment("gateway")["CUTLINE_S3_PUBLIC_ENDPOINT"] == "http://127.0.0.1:8333")
        // moto through scripts/moto-server (atomic DynamoDB conditional writes, which the merged task writes need).
        #expect(services["moto"]?["entrypoint"] as? [String] == ["python3", "/opt/cutline/moto-server"], "\(services["moto"] ?? [:])")
        #expect(volumes("moto").contains { $0.hasSuffix("/scripts/moto-server:/opt/cutline/moto-server:ro") }, "\(volumes("moto"))")
        let after = services["gateway"]?["depends_on"] as? [String: [String: String]]
        #expect(after?["setup"]?["condition"] == "service_completed_successfully")

        // The queue URL the services are given is the one `cutline queue create` answers on moto.
        let moto = try MotoServer()
        defer { moto.stop() }
        let made = try ChildProcess.run(
            [TestEnvironment.executable("cutline"), "queue", "create", "cutline-jobs"],
            environment: ProcessInfo.processInfo.environment.merging(moto.environment) { _, new in new })
        #expect(made.code == 0, "\(made.stderr)")
        let given = try #require(environment("media")["CUTLINE_SQS_QUEUE_URL"].flatMap(URL.init(string:)))
        #expect(URL(string: made.stdout.trimmingCharacters(in: .whitespacesAndNewlines))?.path == given.path, "\(made.stdout) vs \(given)")

        // Each image runs as a user of its own and says whether it is healthy.
        for service in ["gateway", "media-processor", "text"] {
            let dockerfile = try String(
                contentsOf: TestEnvironment.repository.appendingPathComponent("services/\(service)/Dockerfile"), encoding: .utf8)
            let runStage = dockerfile.components(separatedBy: "\nFROM ").last ?? ""
            #expect(runStage.contains("\nUSER cutline\n") && runStage.contains("\nHEALTHCHECK "), "services/\(service)/Dockerfile")
        }
    }
}
