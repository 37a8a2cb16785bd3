import CutlineProductTestSupport
import CutlineTestSupport
import Foundation
import Testing

/// `scripts/run` as a person runs it (with this build's executables, `CUTLINE_RUN_BIN`): a service that
/// dies is started again and the job it held goes on.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct RunScriptTests {
    /// The MediaProcessor killed (SIGKILL) in the middle of a job: scripts/run starts it again within
    /// seconds, the Gateway keeps serving meanwhile, and the job completes with every clip.
    @Test func aKilledMediaProcessorIsStartedAgainAndItsJobCompletes() async throws {
        let bench = try await RunBench(label: "run-script")
        defer { bench.stop() }
        let (data, run, environment, ports) = (bench.data, bench.run, bench.environment, bench.ports)
        let processor = try #require(Self.pid(of: "media", in: run.standardOutput))

        // Big Buck Bunny six times over, in 2 s clips, through scripts/try-job (curl, as the README does).
        let long = data.appendingPathComponent("long.mp4")
        let source = TestEnvironment.fixtures.appendingPathComponent("media/bigbuckbunny.mp4")
        _ = try ChildProcess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "5", "-i", source.path, "-c", "copy", long.path])
        let clientLogs = data.appendingPathComponent("client")
        try FileManager.default.createDirectory(at: clientLogs, withIntermediateDirectories: true)
        let client = try ChildProcess(
            [TestEnvironment.repository.appendingPathComponent("scripts/try-job").path, long.path, "2", "Still here"],
            environment: environment.merging([
                "CUTLINE_PUBLIC_URL": "http://127.0.0.1:\(ports[0])", "TRACEPARENT": "00-\(Self.trace)-00f067aa0ba902b7-01",
            ]) { _, new in new },
            captureIn: clientLogs)
        defer { client.stop() }
        let status = { (job: String) throws -> [String: Any] in
            let answer = try ChildProcess.run(["curl", "-s", "http://127.0.0.1:\(ports[0])/api/jobs/\(job)/status"])
            return (try? JSONSerialization.jsonObject(with: Data(answer.stdout.utf8))) as? [String: Any] ?? [:]
        }
        var jobID = ""
        try await waitFor(timeout: 120) {
            guard let line = client.standardOutput.split(separator: "\n").first(where: { $0.contains("job_id ") }) else { return false }
            jobID = String(line.split(separator: " ").last ?? "")
            return (try status(jobID)["clips"] as? [Any])?.count ?? 0 >= 1
        }
        kill(processor, SIGKILL)
        try await waitFor(timeout: 30) { run.standardOutput.contains("media stopped unexpectedly") }
        // Meanwhile the Gateway answers.
        #expect(try status(jobID)["state"] as? String != nil)
        try await waitFor(timeout: 30) { Self.pid(of: "media", in: run.standardOutput).map { $0 != processor } ?? false }
        #expect(client.wait(timeout: 240) == 0, "\(client.standardOutput.suffix(2000))\n\(client.standardError.suffix(1000))")
        let finished = try status(jobID)
        #expect(finished["state"] as? String == "COMPLETED" && (finished["clips"] as? [Any])?.count == 16, "\(finished)")
        #expect(run.wait(timeout: 0) == nil, "scripts/run ended: \(run.standardOutput.suffix(2000))")
        let log = (try? String(contentsOf: data.appendingPathComponent("logs/media.log"), encoding: .utf8)) ?? ""
        #expect(log.contains("resumed=true"), "the restarted processor did not resume the job: \(log.suffix(2000))")
        // The render, started from the processor's table (and again after the restart), is in the trace of
        // the request that handed the job over.
        let resumed = log.split(separator: "\n").filter { $0.contains("resumed=true") }
        #expect(!resumed.isEmpty && resumed.allSatisfy { $0.contains("trace_id=\(Self.trace)") }, "\(resumed)")
    }

    static let trace = "0af7651916cd43dd8448eb211c80319c"

    /// A service that keeps dying is not started forever: the fifth death in a row, each within a minute
    /// of its start, ends the run (and scripts/run stops the others on its way out).
    @Test func aServiceThatKeepsDyingEndsTheRunAfterFiveTimes() async throws {
        let bench = try await RunBench(label: "run-script-dying")
        defer { bench.stop() }
        let run = bench.run
        // The TextService killed each time it is back: restarts 1 to 4 come after 1, 2, 4 and 8 s.
        var killed: Set<pid_t> = []
        try await waitFor(timeout: 60) {
            if let code = run.wait(timeout: 0) { return code == 1 }
            if let text = Self.pid(of: "text", in: run.standardOutput), !killed.contains(text) {
                killed.insert(text)
                kill(text, SIGKILL)
            }
            return false
        }
        #expect(killed.count == 5, "\(run.standardOutput.suffix(2000))")
        #expect(run.standardOutput.contains("text stopped unexpectedly (status 137), the fifth time in a row"), "\(run.standardOutput.suffix(2000))")
        #expect(run.standardOutput.contains("restart 4 in a row") && run.standardOutput.contains("stopped"), "\(run.standardOutput.suffix(2000))")
        let media = try #require(Self.pid(of: "media", in: run.standardOutput))
        #expect(kill(media, 0) != 0, "scripts/run left the MediaProcessor running")
    }

    /// `scripts/run --distributed`: S3 and DynamoDB/SQS stand-ins, a queue, two Gateways behind haproxy, two
    /// MediaProcessors. Two jobs started together through the one address are answered by both Gateways,
    /// split into tasks that both processors render, and both complete.
    @Test func theDistributedRunSplitsJobsOverTwoProcessors() async throws {
        let bench = try await RunBench(label: "run-distributed", arguments: ["--distributed"])
        defer { bench.stop() }
        let (data, run, environment, ports) = (bench.data, bench.run, bench.environment, bench.ports)
        #expect(run.standardOutput.contains("SQS: job queue http://127.0.0.1:\(ports[5])/"), "\(run.standardOutput.suffix(2000))")
        #expect(Self.pid(of: "media2", in: run.standardOutput) != nil)
        let long = data.appendingPathComponent("long.mp4")
        let source = TestEnvironment.fixtures.appendingPathComponent("media/bigbuckbunny.mp4")
        _ = try ChildProcess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "5", "-i", source.path, "-c", "copy", long.path])
        let clients = try (1...2).map { number in
            let logs = data.appendingPathComponent("client-\(number)")
            try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
            return try ChildProcess(
                [TestEnvironment.repository.appendingPathComponent("scripts/try-job").path, long.path, "2", "Job \(number)"],
                environment: environment.merging(["CUTLINE_PUBLIC_URL": "http://127.0.0.1:\(ports[0])"]) { _, new in new }, captureIn: logs)
        }
        defer { for client in clients { client.stop() } }
        for client in clients {
            #expect(client.wait(timeout: 240) == 0, "\(client.standardOutput.suffix(2000))\n\(client.standardError.suffix(1000))")
        }
        // Each job is two tasks of about 16 s (scripts/run's 20 s tasks), and both processors rendered tasks.
        for name in ["media", "media2"] {
            let log = (try? String(contentsOf: data.appendingPathComponent("logs/\(name).log"), encoding: .utf8)) ?? ""
            #expect(log.contains("msg=\"task started\"") && log.contains("msg=\"task completed\""), "\(name): \(log.suffix(1500))")
        }
        // Each job's status names the processors that rendered its tasks.
        for client in clients {
            let jobID = try #require(client.standardOutput.firstMatch(of: /job_id ([0-9a-f-]{36})/).map { String($0.1) }, "\(client.standardOutput)")
            let status = try ChildProcess.run(["curl", "-s", "http://127.0.0.1:\(ports[0])/api/jobs/\(jobID)/status"])
            let tasks = (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["tasks"] as? [[String: Any]]
            #expect(tasks?.count == 2 && tasks?.allSatisfy { ["media", "media2"].contains($0["processor"] as? String) } == true, "\(status.stdout)")
            // scripts/try-job ends by naming them, as a person following the README sees it.
            #expect(client.standardOutput.contains("clips 1-") && client.standardOutput.contains("rendered by media"), "\(client.standardOutput)")
        }
        // Both Gateways answered the jobs' requests (haproxy's own health checks ask for the OpenAPI document only).
        for port in [ports[10], ports[11]] {
            let metrics = try ChildProcess.run(["curl", "-s", "http://127.0.0.1:\(port)/metrics"]).stdout
            #expect(metrics.contains(/http_route="[^"]*status"/), "the Gateway on \(port) answered no status request")
        }
        #expect(run.wait(timeout: 0) == nil, "scripts/run ended: \(run.standardOutput.suffix(2000))")
    }

    /// Every service's /metrics, read by Prometheus's own parser after a job and a text variation in the
    /// distributed run: jobs by state, HTTP and RPC latency by route and method, render time per clip and
    /// frames per second, the queue's depth and wait, the outbox's depth and age, and the S3, DynamoDB
    /// and SQS requests each service made. And the job's trace: the `traceparent` its requests carried
    /// reaches every service (HTTP, then RPC, then the queued task), each exports its spans over OTLP to a
    /// receiver that reads them with OpenTelemetry's own protobufs, and the processors' log lines about
    /// the job carry its trace_id.
    @Test func everyServiceExposesItsMetricsAndTraces() async throws {
        let receiverPort = TestEnvironment.freePorts(1)[0]
        let receiverDirectory = try TestEnvironment.temporaryDirectory("otlp")
        defer { try? FileManager.default.removeItem(at: receiverDirectory) }
        let exported = receiverDirectory.appendingPathComponent("spans.jsonl")
        let receiver = try ChildProcess(
            ["python3", TestEnvironment.repository.appendingPathComponent("Tests/Support/otlp-receiver.py").path, "\(receiverPort)", exported.path],
            environment: ProcessInfo.processInfo.environment, captureIn: receiverDirectory)
        defer { receiver.stop() }
        try await waitFor(timeout: 20) {
            try ChildProcess.run([
                "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data-binary", "",
                "http://127.0.0.1:\(receiverPort)/v1/traces",
            ]).stdout == "200"
        }
        let bench = try await RunBench(
            label: "run-metrics", arguments: ["--distributed"],
            environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(receiverPort)", "OTEL_BSP_SCHEDULE_DELAY": "200"])
        defer { bench.stop() }
        let (data, environment, ports) = (bench.data, bench.environment, bench.ports)
        let api = "http://127.0.0.1:\(ports[0])"
        let (trace, caller) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
        let traceparent = "00-\(trace)-\(caller)-01"
        let job = try ChildProcess.run(
            [TestEnvironment.repository.appendingPathComponent("scripts/try-job").path, ProductFixtures.bikes.path, "2", "Measured"],
            environment: environment.merging(["CUTLINE_PUBLIC_URL": api, "TRACEPARENT": traceparent]) { _, new in new }, timeout: 240)
        #expect(job.code == 0, "\(job.stdout.suffix(2000))\(job.stderr.suffix(1000))")
        // "… video: N clips", as analyze answered.
        let clips = job.stdout.firstMatch(of: /video: (\d+) clips/).flatMap { Int($0.1) } ?? 0
        let varied = try ChildProcess.run([
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "\(api)/api/text/variations", "-H", "Content-Type: application/json",
            "-H", "traceparent: \(traceparent)",
            "-d", #"{"base_text": "Watch till the end", "count": 3}"#,
        ])
        #expect(varied.stdout == "200", "text variations answered \(varied.stdout)")

        struct Sample: Decodable {
            let family: String
            let name: String
            let labels: [String: String]
            let value: Double
        }
        func scrape(_ url: String) throws -> [Sample] {
            let read = try ChildProcess.run([
                "python3", TestEnvironment.repository.appendingPathComponent("Tests/Support/scrape-metrics.py").path, url,
            ])
            guard read.code == 0 else { throw TestSupportError("scraping \(url): \(read.stderr)") }
            return try JSONDecoder().decode([Sample].self, from: Data(read.stdout.utf8))
        }
        func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double {
            samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }.map(\.value).reduce(0, +)
        }
        // Two Gateways behind one address: each counts what it did.
        let gateway = try scrape("http://127.0.0.1:\(ports[10])/metrics") + (try scrape("http://127.0.0.1:\(ports[11])/metrics"))
        let processors = try scrape("http://127.0.0.1:\(ports[7])/metrics") + (try scrape("http://127.0.0.1:\(ports[9])/metrics"))
        let text = try scrape("http://127.0.0.1:\(ports[8])/metrics")

        for state in ["CREATED", "UPLOADED", "QUEUED"] {
            #expect(value(gateway, "cutline_jobs_total", ["state": state]) == 1, "Gateway: \(state)")
        }
        #expect(
            value(processors, "cutline_jobs_total", ["state": "PROCESSING"]) >= 1
                && value(processors, "cutline_jobs_total", ["state": "COMPLETED"]) == 1)
        let routes = Set(gateway.filter { $0.family.hasPrefix("http_server_request_duration") }.compactMap { $0.labels["http_route"] })
        #expect(routes.contains { $0.contains("status") } && routes.contains { $0.contains("initiate") }, "routes timed: \(routes)")
        #expect(value(processors, "cutline_rpc_server_duration_seconds_count", ["method": "media.probe", "outcome": "ok"]) >= 1)
        #expect(value(text, "cutline_rpc_server_duration_seconds_count", ["method": "text.vary", "outcome": "ok"]) == 1)
        #expect(clips > 0 && value(processors, "cutline_render_clip_seconds_count") == Double(clips), "\(clips) clips")
        #expect(value(processors, "cutline_render_frames_per_second") > 0)
        #expect(value(processors, "cutline_queue_wait_seconds_count") == 1)
        #expect(processors.contains { $0.name == "cutline_queue_depth" })
        #expect(gateway.contains { $0.name == "cutline_outbox_pending" && $0.labels["database"] == "gateway" })
        #expect(processors.contains { $0.name == "cutline_outbox_oldest_pending_age_seconds" && $0.labels["database"] == "media" })
        for service in ["s3", "dynamodb", "sqs"] {
            #expect(value(gateway, "cutline_aws_request_duration_seconds_count", ["service": service]) >= 1, "Gateway: \(service)")
        }
        #expect(value(processors, "cutline_aws_request_duration_seconds_count", ["service": "sqs", "operation": "ReceiveMessage"]) >= 1)

        // The trace, as the services exported it.
        struct ExportedSpan: Decodable {
            let service, name, kind, trace_id, span_id, parent_span_id: String?
            let error: String?
        }
        func spans() -> [ExportedSpan] {
            let text = (try? String(contentsOf: exported, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(ExportedSpan.self, from: Data($0.utf8)) }
        }
        func inTrace(_ service: String, _ name: String? = nil, kind: String) -> [ExportedSpan] {
            spans().filter { $0.trace_id == trace && $0.service == service && $0.kind == kind && (name == nil || $0.name == name) }
        }
        // Spans are exported in batches (every 200 ms here): wait until the render's has come.
        try await waitFor(timeout: 60) { !inTrace("cutline-media-processor", "render task", kind: "SPAN_KIND_CONSUMER").isEmpty }
        #expect(spans().allSatisfy { $0.error == nil }, "every export is a valid ExportTraceServiceRequest: \(spans().compactMap(\.error))")
        let gatewayRequests = inTrace("cutline-gateway", kind: "SPAN_KIND_SERVER")
        #expect(gatewayRequests.contains { $0.parent_span_id == caller }, "the Gateway's request spans are children of the caller's")
        let gatewayCalls = Set(inTrace("cutline-gateway", kind: "SPAN_KIND_CLIENT").compactMap(\.span_id))
        let processorCalls = inTrace("cutline-media-processor", kind: "SPAN_KIND_SERVER")
        #expect(
            processorCalls.contains { $0.parent_span_id.map(gatewayCalls.contains) == true },
            "an RPC call's server span is the child of the Gateway's client span: \(processorCalls.map(\.name))")
        #expect(!inTrace("cutline-text", "text.vary", kind: "SPAN_KIND_SERVER").isEmpty, "the TextService's call joined the trace")
        // The processors' log lines about the job carry the trace.
        let jobID = try #require(job.stdout.firstMatch(of: /job_id ([0-9a-f-]{36})/).map { String($0.1) }, "\(job.stdout)")
        let logs = ["media", "media2"].map { (try? String(contentsOf: data.appendingPathComponent("logs/\($0).log"), encoding: .utf8)) ?? "" }
        let traced = logs.joined().split(separator: "\n").filter { $0.contains("job_id=\(jobID)") && $0.contains("trace_id=\(trace)") }
        #expect(
            traced.contains { $0.contains("msg=probed") } && traced.contains { $0.contains("msg=\"clip uploaded\"") },
            "the probe (an RPC call) and the render (a queued task) log in the trace: \(traced.prefix(3))")
    }

    /// The pid of the newest "started NAME (pid N, …)" line of scripts/run.
    static func pid(of name: String, in output: String) -> pid_t? {
        output.split(separator: "\n").last { $0.contains("started \(name) (pid ") }
            .flatMap { $0.split(separator: "(pid ").last?.split(separator: ",").first }
            .flatMap { pid_t($0) }
    }
}

/// `scripts/run` started on free ports with its own data directory and this build's executables,
/// once it says Cutline is running.
private final class RunBench: Sendable {
    let data: URL
    let ports: [UInt16]
    let environment: [String: String]
    let run: ChildProcess

    init(label: String, arguments: [String] = [], environment extra: [String: String] = [:]) async throws {
        data = try TestEnvironment.temporaryDirectory(label)
        ports = TestEnvironment.freePorts(13)
        environment = ProcessInfo.processInfo.environment.merging([
            "CUTLINE_RUN_BIN": TestEnvironment.productsDirectory.path, "CUTLINE_DATA_DIR": data.path,
            "CUTLINE_GATEWAY_HTTP_LISTEN": "127.0.0.1:\(ports[0])", "CUTLINE_GATEWAY_RPC_LISTEN": "127.0.0.1:\(ports[1])",
            "CUTLINE_MEDIA_RPC_LISTEN": "127.0.0.1:\(ports[2])", "CUTLINE_TEXT_RPC_LISTEN": "127.0.0.1:\(ports[3])",
            "CUTLINE_PUBLIC_URL": "http://127.0.0.1:\(ports[0])",
            // --s3 and --distributed: the S3 and DynamoDB/SQS stand-ins and the second processor.
            "CUTLINE_RUN_S3_PORT": "\(ports[4])", "CUTLINE_RUN_DYNAMODB_PORT": "\(ports[5])", "CUTLINE_MEDIA2_RPC_LISTEN": "127.0.0.1:\(ports[6])",
            // The MediaProcessors' and the TextService's /metrics.
            "CUTLINE_RUN_MEDIA_METRICS": "127.0.0.1:\(ports[7])", "CUTLINE_RUN_TEXT_METRICS": "127.0.0.1:\(ports[8])",
            "CUTLINE_RUN_MEDIA2_METRICS": "127.0.0.1:\(ports[9])",
            // --distributed's two Gateways behind haproxy (on ports[0]): their own HTTP and the second's RPC.
            "CUTLINE_RUN_GATEWAY_HTTP": "127.0.0.1:\(ports[10])", "CUTLINE_RUN_GATEWAY2_HTTP": "127.0.0.1:\(ports[11])",
            "CUTLINE_GATEWAY2_RPC_LISTEN": "127.0.0.1:\(ports[12])",
        ]) { _, new in new }.merging(extra) { _, new in new }
        run = try ChildProcess(
            [TestEnvironment.repository.appendingPathComponent("scripts/run").path] + arguments, environment: environment, captureIn: data)
        let run = self.run
        try await waitFor(timeout: 120) {
            if let code = run.wait(timeout: 0) { throw TestSupportError("scripts/run ended (\(code)): \(run.standardOutput.suffix(2000))") }
            return run.standardOutput.contains("Cutline is running")
        }
    }

    /// Stops scripts/run (which stops its services) and removes its data.
    func stop() {
        run.stop(grace: 30)
        try? FileManager.default.removeItem(at: data)
    }
}
