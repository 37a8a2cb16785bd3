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
            environment: environment.merging(["CUTLINE_PUBLIC_URL": "http://127.0.0.1:\(ports[0])"]) { _, new in new },
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
    }

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

    /// `scripts/run --distributed`: S3 and DynamoDB/SQS stand-ins, a queue, two MediaProcessors. Two jobs
    /// started together are rendered side by side, one by each processor, and both complete.
    @Test func theDistributedRunRendersTwoJobsOnTwoProcessors() async throws {
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
        // Each processor took one of the two jobs from the queue (each renders one job at a time).
        for name in ["media", "media2"] {
            let log = (try? String(contentsOf: data.appendingPathComponent("logs/\(name).log"), encoding: .utf8)) ?? ""
            #expect(log.contains("msg=\"job started\"") && log.contains("msg=\"job completed\""), "\(name): \(log.suffix(1500))")
        }
        #expect(run.wait(timeout: 0) == nil, "scripts/run ended: \(run.standardOutput.suffix(2000))")
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

    init(label: String, arguments: [String] = []) async throws {
        data = try TestEnvironment.temporaryDirectory(label)
        ports = TestEnvironment.freePorts(7)
        environment = ProcessInfo.processInfo.environment.merging([
            "CUTLINE_RUN_BIN": TestEnvironment.productsDirectory.path, "CUTLINE_DATA_DIR": data.path,
            "CUTLINE_GATEWAY_HTTP_LISTEN": "127.0.0.1:\(ports[0])", "CUTLINE_GATEWAY_RPC_LISTEN": "127.0.0.1:\(ports[1])",
            "CUTLINE_MEDIA_RPC_LISTEN": "127.0.0.1:\(ports[2])", "CUTLINE_TEXT_RPC_LISTEN": "127.0.0.1:\(ports[3])",
            "CUTLINE_PUBLIC_URL": "http://127.0.0.1:\(ports[0])",
            // --s3 and --distributed: the S3 and DynamoDB/SQS stand-ins and the second processor.
            "CUTLINE_RUN_S3_PORT": "\(ports[4])", "CUTLINE_RUN_DYNAMODB_PORT": "\(ports[5])", "CUTLINE_MEDIA2_RPC_LISTEN": "127.0.0.1:\(ports[6])",
        ]) { _, new in new }
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
