import CutlineCore
import CutlineProductTestSupport
import CutlineTestSupport
import Foundation
import Testing

/// The distributed mode: S3 (SeaweedFS), DynamoDB and SQS (moto), a Gateway and built MediaProcessors
/// that each have their own data directory and take jobs from the shared queue. A processor killed in the
/// middle of a job loses nothing: another takes the job's task when its message reappears and finishes
/// it from the first clip not stored. A job whose processors keep dying is given up as `render_crashed`.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct DistributedFailoverTests {
    @Test func aJobWhoseProcessorIsKilledIsFinishedByAnotherWithEveryClipOnce() async throws {
        let bench = try await DistributedBench(deadLetterAfter: 3)
        defer { bench.stop() }
        let processors = [try bench.startProcessor("a"), try bench.startProcessor("b")]
        defer { for processor in processors { processor.stop() } }
        let jobID = try await bench.submitLongJob(text: "two processors")

        // Five clips take longer than the task's 6 s visibility: only a renewed hold keeps the other
        // processor from taking the job meanwhile.
        try await bench.waitFor(jobID) { ($0.json["clips"] as? [Any])?.count ?? 0 >= 5 }
        let renderer = try #require(processors.firstIndex { $0.standardError.contains("job started") }, "one processor took the job")
        let (killed, survivor) = (processors[renderer], processors[1 - renderer])
        #expect(!survivor.standardError.contains("job started"), "the job's one task went to one processor, which held it")
        killed.signal(SIGKILL)
        #expect(killed.wait(timeout: 10) == 128 + SIGKILL)
        let atKill = try bench.clipsListed(jobID)
        #expect(atKill >= 5 && atKill < 16, "the kill landed mid-job (\(atKill) of 16 clips)")

        let status = try await bench.waitFor(jobID) { $0.json["state"] as? String == "COMPLETED" }
        #expect(
            status.json["state"] as? String == "COMPLETED", "\(String(decoding: status.body, as: UTF8.self))\n\(survivor.standardError.suffix(3000))")
        let clips = try #require(status.json["clips"] as? [[String: Any]])
        #expect(clips.map { $0["index"] as? Int } == Array(0..<16), "every clip once, in order")
        #expect(clips.allSatisfy { $0["text"] as? String == "two processors" })
        // In the bucket: each clip and its thumbnail once, beside the job's render request.
        let stored = try bench.keys(under: "clips/\(jobID)/")
        #expect(stored.filter { !$0.contains("/render-") } == (0..<16).flatMap { ["clips/\(jobID)/\($0).mp4", "clips/\(jobID)/\($0).jpg"] }.sorted())
        #expect(stored.filter { $0.contains("/render-1-") && $0.hasSuffix(".json") }.count == 1, "\(stored)")
        // The survivor resumed where the shared status said the clips ended, not from the start.
        #expect(survivor.standardError.contains("resumed=true"), "\(survivor.standardError.suffix(3000))")
        let resumedAt = survivor.standardError.firstMatch(of: /first_clip=(\d+)/).flatMap { Int($0.1) }
        #expect(resumedAt.map { $0 >= 5 } == true, "resumed at \(String(describing: resumedAt)) with \(atKill) listed at the kill")
        // No version the Gateway answered ever went back.
        #expect(bench.versionsSeen == bench.versionsSeen.sorted(), "\(bench.versionsSeen)")
        // Nothing left on the queue, nothing given up.
        try await bench.waitUntilQueueIsEmpty()
        let shown = try bench.cutline(["queue", "show"])
        #expect(shown.stdout.contains("dead letters 0"), "\(shown.stdout)")
    }

    /// One job in four tasks over two processors: both render parts of it, and the status merges them
    /// into one record that completes once, with every clip once.
    @Test func oneJobIsSplitOverTwoProcessorsAndMergedIntoOneRecord() async throws {
        let bench = try await DistributedBench(deadLetterAfter: 3, taskSeconds: 8)
        defer { bench.stop() }
        let processors = [try bench.startProcessor("a"), try bench.startProcessor("b")]
        defer { for processor in processors { processor.stop() } }
        let jobID = try await bench.submitLongJob(text: "split in four")

        let status = try await bench.waitFor(jobID) { $0.json["state"] as? String == "COMPLETED" }
        let logs = processors.map(\.standardError).joined(separator: "\n")
        #expect(status.json["state"] as? String == "COMPLETED", "\(String(decoding: status.body, as: UTF8.self))\n\(logs.suffix(4000))")
        let clips = try #require(status.json["clips"] as? [[String: Any]])
        #expect(clips.map { $0["index"] as? Int } == Array(0..<16), "every clip once, in order")
        #expect(clips.allSatisfy { $0["text"] as? String == "split in four" })
        let progress = status.json["progress"] as? [String: Any]
        #expect(progress?["clips_done"] as? Int == 16 && progress?["frames_done"] as? Int == progress?["frames_total"] as? Int, "\(progress ?? [:])")
        // Four tasks of four clips; each processor rendered at least one of them.
        let tasks = try #require(status.json["tasks"] as? [[String: Any]], "\(String(decoding: status.body, as: UTF8.self))")
        #expect(tasks.map { $0["first_clip"] as? Int } == [0, 4, 8, 12])
        #expect(tasks.allSatisfy { $0["clip_count"] as? Int == 4 && $0["state"] as? String == "COMPLETED" && $0["clips_done"] as? Int == 4 })
        #expect(Set(tasks.compactMap { $0["processor"] as? String }) == ["media-a", "media-b"], "\(tasks)")
        for processor in processors { #expect(processor.standardError.contains("task started"), "\(processor.standardError.suffix(2000))") }
        // In the bucket: each clip and its thumbnail once.
        let stored = try bench.keys(under: "clips/\(jobID)/")
        #expect(stored.filter { !$0.contains("/render-") } == (0..<16).flatMap { ["clips/\(jobID)/\($0).mp4", "clips/\(jobID)/\($0).jpg"] }.sorted())
        #expect(bench.versionsSeen == bench.versionsSeen.sorted(), "\(bench.versionsSeen)")
        try await bench.waitUntilQueueIsEmpty()
    }

    /// A cancel reaches the processor the Gateway calls by RPC, and the other through the status store:
    /// every task stops, and the job stays CANCELLED.
    @Test func aCancelStopsEveryTaskOfASplitJob() async throws {
        let bench = try await DistributedBench(deadLetterAfter: 3, taskSeconds: 8)
        defer { bench.stop() }
        let processors = [try bench.startProcessor("a"), try bench.startProcessor("b")]
        defer { for processor in processors { processor.stop() } }
        let jobID = try await bench.submitLongJob(text: "cancelled midway")
        try await waitFor(timeout: 120) { processors.allSatisfy { $0.standardError.contains("task started") } }
        let cancelled = try bench.gateway.curl("/api/jobs/\(jobID)", ["-X", "DELETE"])
        #expect(cancelled.status == 202, "\(cancelled.errorMessage)")
        // Each processor stops its render (by the call, or by reading the status) and settles its tasks,
        // the one rendering and any it takes up later: the queue empties without the job being finished.
        try await waitFor(timeout: 60) { processors.allSatisfy { $0.standardError.lowercased().contains("cancelled") } }
        try await bench.waitUntilQueueIsEmpty()
        let status = try bench.gateway.curl("/api/jobs/\(jobID)/status")
        #expect(status.json["state"] as? String == "CANCELLED")
        let stored = try bench.keys(under: "clips/\(jobID)/").filter { $0.hasSuffix(".mp4") }
        #expect(stored.count < 16, "every task was stopped before the job's end: \(stored.count) clips stored")
        #expect(bench.versionsSeen == bench.versionsSeen.sorted(), "\(bench.versionsSeen)")
    }

    /// The outbox sends at least once: a second copy of a task that reaches the other processor while the
    /// first renders it is deleted there (the task is claimed in the status store), not rendered twice.
    @Test func aSecondCopyOfATaskIsNotRenderedTwice() async throws {
        let bench = try await DistributedBench(deadLetterAfter: 3)
        defer { bench.stop() }
        let processors = [try bench.startProcessor("a"), try bench.startProcessor("b")]
        defer { for processor in processors { processor.stop() } }
        let jobID = try await bench.submitLongJob(text: "sent twice")
        try await bench.waitFor(jobID) { ($0.json["clips"] as? [Any])?.count ?? 0 >= 1 }
        let renderer = try #require(processors.firstIndex { $0.standardError.contains("job started") }, "one processor took the job")
        let other = processors[1 - renderer]
        // The same task again, as a second delivery of the outbox's row would send it.
        let requestKey = try #require(try bench.keys(under: "clips/\(jobID)/").first { $0.contains("/render-1-") })
        try bench.send(
            #"{"format": 2, "job_id": "\#(jobID)", "attempt": 1, "request_key": "\#(requestKey)", "first_clip": 0, "clip_count": 16, "task_count": 1}"#
        )
        try await waitFor(timeout: 60) { other.standardError.contains("a copy of a task another processor renders; deleted") }

        let status = try await bench.waitFor(jobID) { $0.json["state"] as? String == "COMPLETED" }
        #expect(status.json["state"] as? String == "COMPLETED", "\(String(decoding: status.body, as: UTF8.self))")
        #expect(!other.standardError.contains("job started"), "the copy was rendered too: \(other.standardError.suffix(2000))")
        let clips = try #require(status.json["clips"] as? [[String: Any]])
        #expect(clips.map { $0["index"] as? Int } == Array(0..<16))
        try await bench.waitUntilQueueIsEmpty()
    }

    @Test func aJobWhoseProcessorsKeepDyingFailsRenderCrashed() async throws {
        let bench = try await DistributedBench(deadLetterAfter: 2)
        defer { bench.stop() }
        var processor = try bench.startProcessor("a")
        defer { processor.stop() }
        let jobID = try await bench.submitLongJob(text: "dies every time")
        // Each time it has begun the job, the processor is killed; its task comes back once more.
        for death in 1...2 {
            try await waitFor(timeout: 60) { processor.standardError.contains("job started") }
            try await bench.waitFor(jobID) { $0.json["state"] as? String == "PROCESSING" }
            processor.signal(SIGKILL)
            #expect(processor.wait(timeout: 10) == 128 + SIGKILL, "death \(death)")
            processor = try bench.startProcessor("a")
        }
        let status = try await bench.waitFor(jobID) { $0.json["state"] as? String == "FAILED" }
        let error = status.json["error"] as? [String: Any]
        #expect(
            error?["code"] as? String == "render_crashed", "\(String(decoding: status.body, as: UTF8.self))\n\(processor.standardError.suffix(3000))")
        #expect((error?["message"] as? String)?.contains("taken up 2 times without finishing") == true, "\(error ?? [:])")
        #expect(!processor.standardError.contains("job started"), "the task given up was not rendered a third time")
        try await bench.waitUntilQueueIsEmpty()
    }
}

/// SeaweedFS and moto, a queue made by `cutline queue create`, and a Gateway in this process; the
/// MediaProcessors are the built executable, each with its own data directory (as on separate machines).
private final class DistributedBench: @unchecked Sendable {
    let servers: AWSServers
    let gateway: RunningGateway
    let data: URL
    let environment: [String: String]
    let mediaPorts: [UInt16]
    private(set) var versionsSeen: [Int] = []

    init(deadLetterAfter: Int, taskSeconds: Double? = nil) async throws {
        let name = "dist-\(UInt32.random(in: 0...UInt32.max))"
        servers = try AWSServers(bucket: name, table: "\(name)-jobs")
        data = try TestEnvironment.temporaryDirectory("distributed")
        var environment = ProcessInfo.processInfo.environment.merging(servers.environment) { _, new in new }
        environment["CUTLINE_RPC_SECRET"] = "distributed-test-secret-\(UInt64.random(in: 0...UInt64.max))"
        environment["CUTLINE_LOG_LEVEL"] = "info"
        // Short, so a killed processor's task comes back within seconds.
        environment["CUTLINE_SQS_VISIBILITY_TIMEOUT"] = "6"
        if let taskSeconds { environment["CUTLINE_TASK_SECONDS"] = "\(taskSeconds)" }
        let made = try ChildProcess.run(
            [TestEnvironment.executable("cutline"), "queue", "create", name, "--dead-letter-after", "\(deadLetterAfter)", "--visibility", "6"],
            environment: environment)
        try #require(made.code == 0, "cutline queue create: \(made.stderr)")
        environment["CUTLINE_SQS_QUEUE_URL"] = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        mediaPorts = TestEnvironment.freePorts(2)
        // The Gateway probes through the first processor; jobs go to whichever takes them from the queue.
        environment["CUTLINE_MEDIA_ADDRESS"] = "127.0.0.1:\(mediaPorts[0])"
        self.environment = environment
        gateway = try await RunningGateway(
            data: data.appendingPathComponent("gateway"), environment: environment.filter { $0.key.hasPrefix("CUTLINE_") || $0.key.hasPrefix("AWS_") }
        )
    }

    /// The Gateway stops before the next test starts; the servers stop now (a test run that ends here
    /// leaves none behind).
    func stop() {
        Teardowns.stop { [gateway] in await gateway.stop() }
        servers.stop()
    }

    /// The built MediaProcessor `name` ("a" listens on the port the Gateway calls), on its own data directory.
    func startProcessor(_ name: String) throws -> ChildProcess {
        let directory = data.appendingPathComponent("media-\(name)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var environment = environment
        environment["CUTLINE_DATA_DIR"] = directory.path
        environment["CUTLINE_INSTANCE_NAME"] = "media-\(name)"
        environment["CUTLINE_MEDIA_RPC_LISTEN"] = "127.0.0.1:\(mediaPorts[name == "a" ? 0 : 1])"
        return try ChildProcess([TestEnvironment.executable("cutline-media-processor")], environment: environment, captureIn: directory)
    }

    func cutline(_ arguments: [String]) throws -> (code: Int32, stdout: String, stderr: String) {
        try ChildProcess.run([TestEnvironment.executable("cutline")] + arguments, environment: environment)
    }

    /// Big Buck Bunny six times over, cut into 16 clips of 2 s, uploaded to S3 and started.
    func submitLongJob(text: String) async throws -> String {
        let long = data.appendingPathComponent("long.mp4")
        if !FileManager.default.fileExists(atPath: long.path) {
            let source = TestEnvironment.fixtures.appendingPathComponent("media/bigbuckbunny.mp4")
            _ = try ChildProcess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "5", "-i", source.path, "-c", "copy", long.path])
        }
        let initiated = try gateway.initiate(long)
        let jobID = try #require(initiated.json["job_id"] as? String, "\(initiated.errorMessage)")
        let upload = try #require(initiated.json["upload"] as? [String: Any])
        let headers = (upload["headers"] as? [String: String] ?? [:]).flatMap { ["-H", "\($0.key): \($0.value)"] }
        #expect(try gateway.curl(upload["url"] as! String, ["-X", "PUT", "--data-binary", "@\(long.path)"] + headers).status == 200)
        let body = #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 2}, "text": {"mode": "single", "text": "\#(text)"}}"#
        // The processor the Gateway probes through may still be starting: complete answers 503 until then.
        var started = try gateway.postJSON("/api/upload/complete", body)
        try await CutlineProductTestSupport.waitFor(timeout: 60) {
            if started.status != 202 { started = try self.gateway.postJSON("/api/upload/complete", body) }
            return started.status == 202
        }
        return jobID
    }

    func clipsListed(_ jobID: String) throws -> Int {
        (try gateway.curl("/api/jobs/\(jobID)/status").json["clips"] as? [Any])?.count ?? 0
    }

    /// Polls the job's status until `done` holds (or 4 minutes pass), noting every version answered.
    @discardableResult
    func waitFor(_ jobID: String, _ done: (RunningGateway.Answer) -> Bool) async throws -> RunningGateway.Answer {
        let deadline = Date().addingTimeInterval(240)
        while true {
            let status = try gateway.curl("/api/jobs/\(jobID)/status")
            if let version = status.json["version"] as? Int { versionsSeen.append(version) }
            if done(status) || Date() > deadline { return status }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// The bucket's keys under `prefix`, listed by boto3 (an independent reader).
    func keys(under prefix: String) throws -> [String] {
        let script = """
            import boto3, json, os, sys
            s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"], region_name="us-east-1")
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=os.environ["CUTLINE_S3_BUCKET"], Prefix=sys.argv[1])
            print(json.dumps(sorted(o["Key"] for page in pages for o in page.get("Contents", []))))
            """
        let listed = try ChildProcess.run(["python3", "-c", script, prefix], environment: environment)
        try #require(listed.code == 0, "\(listed.stderr)")
        return try JSONDecoder().decode([String].self, from: Data(listed.stdout.utf8))
    }

    /// Sends `body` to the job queue with boto3, as another sender (here: a second copy of a task).
    func send(_ body: String) throws {
        let script = """
            import boto3, os, sys
            sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL_SQS"], region_name="us-east-1")
            sqs.send_message(QueueUrl=os.environ["CUTLINE_SQS_QUEUE_URL"], MessageBody=sys.argv[1])
            """
        let sent = try ChildProcess.run(["python3", "-c", script, body], environment: environment)
        try #require(sent.code == 0, "\(sent.stderr)")
    }

    /// Waits until the queue holds no task, waiting or in flight (a finished task's message is deleted).
    func waitUntilQueueIsEmpty() async throws {
        try await CutlineProductTestSupport.waitFor(timeout: 60) {
            let shown = try self.cutline(["queue", "show"])
            return shown.code == 0 && shown.stdout.contains("waiting 0, in flight 0")
        }
    }
}
