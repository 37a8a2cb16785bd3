import ArgumentParser
import CutlineContracts
import CutlineCore
import CutlineDynamoDB
import CutlineGatewayApp
import CutlineJobStore
import CutlineMediaProcessorApp
import CutlineOutbox
import CutlineProductTestSupport
import CutlineRPC
import CutlineSQLite
import CutlineServiceHost
import CutlineSettings
import CutlineStorage
import CutlineTestSupport
import CutlineTextApp
import CutlineWire
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// The composition roots build what the executables run: the same settings give the same parts, and
/// the run mode is only configuration.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct CompositionRootTests {
    @Test func embeddedSettingsGiveLocalStoresSharedByBothServices() async throws {
        let data = try TestEnvironment.temporaryDirectory("root-embedded")
        defer { try? FileManager.default.removeItem(at: data) }
        let gateway = try buildGateway(
            try TestServices.settings("gateway", data: data),
            http: try GatewayHTTPSettings(nil, environment: ["CUTLINE_GATEWAY_HTTP_LISTEN": "127.0.0.1:0"]),
            logger: TestServices.quiet)
        let processor = try buildMediaProcessor(try TestServices.settings("media", data: data), logger: TestServices.quiet)
        #expect(gateway.objects.location == "embedded store at \(data.appendingPathComponent("blobs").path)")
        #expect(processor.objects.location == gateway.objects.location)

        // A file one puts, the other reads; a status write each enqueues reaches the one shared table.
        try await processor.objects.put(key: "clips/x/0.mp4", bytes: [1, 2, 3], contentType: "video/mp4")
        #expect(try await gateway.objects.get(key: "clips/x/0.mp4", range: ByteRange?.none) == [1, 2, 3])
        let (queued, processing) = (JobID.make(), JobID.make())
        try await gateway.database.write { try Outbox.enqueue(StatusWrite(jobID: queued, state: .queued), on: $0) }
        try await processor.database.write { try Outbox.enqueue(StatusWrite(jobID: processing, state: .processing, clipsDone: 1), on: $0) }
        try await TestServices.running(gateway.service) {
            try await TestServices.running(processor.service) {
                #expect(try await TestServices.health(gateway.service).name == "gateway")
                #expect(try await TestServices.health(processor.service).name == "media")
                try await waitFor {
                    let first = try await gateway.status.status(of: queued)
                    let second = try await gateway.status.status(of: processing)
                    return first != nil && second != nil
                }
            }
        }
        #expect(try await gateway.status.status(of: processing)?.state == .processing)
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("status.sqlite").path))
    }

    @Test func s3AndDynamoDBSettingsGiveThoseStores() async throws {
        let data = try TestEnvironment.temporaryDirectory("root-aws")
        defer { try? FileManager.default.removeItem(at: data) }
        let seaweed = try SeaweedFS()
        defer { seaweed.stop() }
        let moto = try MotoServer()
        defer { moto.stop() }
        var aws = moto.environment
        aws["AWS_ACCESS_KEY_ID"] = SeaweedFS.accessKeyID  // moto accepts any key; SeaweedFS checks it
        aws["AWS_SECRET_ACCESS_KEY"] = SeaweedFS.secretAccessKey
        aws["AWS_ENDPOINT_URL_S3"] = seaweed.endpoint.absoluteString
        aws["CUTLINE_S3_BUCKET"] = "root-bucket"
        aws["CUTLINE_DYNAMODB_TABLE"] = "root-jobs"
        aws["CUTLINE_DYNAMODB_KEY"] = "video_id"
        let processor = try buildMediaProcessor(try TestServices.settings("media", data: data, extra: aws), logger: TestServices.quiet)
        #expect(processor.objects.location.hasPrefix("s3://root-bucket"))
        let sink = try #require(processor.status as? DynamoDBStatusSink)
        #expect(sink.table == "root-jobs" && sink.keyAttribute == "video_id")
        try await sink.createTable()
        let curl = try SeaweedFS.curl([
            "-X", "PUT", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "\(SeaweedFS.accessKeyID):\(SeaweedFS.secretAccessKey)",
            "\(seaweed.endpoint.absoluteString)/root-bucket",
        ])
        #expect(curl.status == 200)

        try await processor.objects.put(key: "clips/y/0.mp4", bytes: [9, 8, 7], contentType: "video/mp4")
        let url = try processor.objects.presignedGet(key: "clips/y/0.mp4", downloadName: nil, expires: .seconds(60))
        #expect(try SeaweedFS.curl([url.absoluteString]).body == Data([9, 8, 7]))
        let job = JobID.make()
        try await processor.database.write { try Outbox.enqueue(StatusWrite(jobID: job, state: .processing, clipsDone: 2), on: $0) }
        try await TestServices.running(processor.service) {
            try await waitFor { try await processor.status.status(of: job) != nil }
        }
        // The item is keyed by the configured attribute.
        #expect(try await sink.client.getItem(table: "root-jobs", key: ["video_id": .string(job.description)]) != nil)
    }

    @Test func textServiceAnswersHealth() async throws {
        let data = try TestEnvironment.temporaryDirectory("root-text")
        defer { try? FileManager.default.removeItem(at: data) }
        let text = try await buildTextService(
            try TestServices.settings("text", data: data), text: try TextSettings(environment: ["CUTLINE_TEXT_ENGINE": "offline"]),
            logger: TestServices.quiet)
        let health = try await TestServices.running(text.service) { try await TestServices.health(text.service) }
        #expect(health.name == "text")
    }

    /// `text.vary` over RPC: the texts, a bad request with its reason, and an engine that cannot give
    /// the count as a typed error carrying the engine's code and message.
    @Test func textVaryOverRPC() async throws {
        let data = try TestEnvironment.temporaryDirectory("root-text-vary")
        defer { try? FileManager.default.removeItem(at: data) }
        let text = try await buildTextService(
            try TestServices.settings("text", data: data), text: try TextSettings(environment: ["CUTLINE_TEXT_ENGINE": "offline"]),
            logger: TestServices.quiet)
        try await TestServices.running(text.service) {
            let address = try text.service.rpcServer.start()
            let client = RPCClient(
                configuration: .init(address: address, secret: text.service.rpcServer.configuration.secret, clientName: "test"),
                logger: TestServices.quiet)
            defer { client.close() }
            let answer = try await client.call(
                TextContract.vary, VaryRequest(baseText: "Watch this amazing trick", count: 6, seed: 9), timeout: .seconds(10))
            #expect(answer.texts.count == 6 && Set(answer.texts).count == 6 && answer.engine == "offline:lexicon")
            #expect(answer.replaced?.count == 6 && answer.replaced?.first == [], "the base itself replaces nothing: \(answer)")
            // allow_fewer: what the engine is sure of rather than too_few.
            let fewer = try await client.call(
                TextContract.vary, VaryRequest(baseText: "Best day ever", count: 6, allowFewer: true), timeout: .seconds(10))
            #expect(fewer.texts == ["Best day ever"])
            await #expect { _ = try await client.call(TextContract.vary, VaryRequest(baseText: "", count: 6), timeout: .seconds(10)) } throws: {
                error in
                (error as? RPCError).map { $0.code == .badRequest && $0.message.contains("empty") } ?? false
            }
            await #expect {
                _ = try await client.call(TextContract.vary, VaryRequest(baseText: "Go", count: 40, maxLength: 4), timeout: .seconds(10))
            } throws: { error in
                (error as? RPCError).map { $0.code == .badRequest && $0.detail == "too_few" && $0.message.hasPrefix("offline:lexicon gave") } ?? false
            }
        }
    }

    @Test(arguments: [
        (["CUTLINE_S3_BUCKET": "Not_A_Bucket"], "CUTLINE_S3_BUCKET (--s3-bucket)"),
        (["CUTLINE_PUBLIC_URL": "ftp://example"], "CUTLINE_PUBLIC_URL (--public-url)"),
        (["CUTLINE_DYNAMODB_TABLE": "x"], "CUTLINE_DYNAMODB_TABLE (--dynamodb-table)"),
        // A key attribute named like one of the records' own attributes would overwrite it.
        (["CUTLINE_DYNAMODB_TABLE": "cutline-jobs", "CUTLINE_DYNAMODB_KEY": "state"], "CUTLINE_DYNAMODB_KEY (--dynamodb-key)"),
    ])
    func badStorageOrStatusSettingIsNamed(environment: [String: String], named: String) throws {
        let data = try TestEnvironment.temporaryDirectory("root-bad")
        defer { try? FileManager.default.removeItem(at: data) }
        do {
            _ = try TestServices.settings("gateway", data: data, extra: environment)
            Issue.record("a bad setting was accepted")
        } catch {
            #expect("\(error)".contains(named), "\(error)")
        }
    }
}

/// Every line logged inside a job's work carries its job_id, whoever logs it.
@Suite struct JobLogMetadataTests {
    @Test func theJobContextPutsJobIDOnTheLine() {
        let job = JobID.make()
        let handler = StructuredLogHandler(label: "t", format: .logfmt, level: .info, metadataProvider: LogSetup.jobMetadata)
        let inside = JobContext.$jobID.withValue(job) { handler.line(level: .info, message: "clip uploaded", metadata: nil) }
        #expect(inside.contains(" job_id=\(job)"), "\(inside)")
        let outside = handler.line(level: .info, message: "idle", metadata: nil)
        #expect(!outside.contains("job_id="), "\(outside)")
    }

    @Test func childTasksInheritTheJob() async {
        let job = JobID.make()
        let seen = await JobContext.$jobID.withValue(job) {
            await Task { LogSetup.jobMetadata.get()["job_id"]?.description }.value
        }
        #expect(seen == job.description)
    }
}
