import ArgumentParser
import CutlineCore
import CutlineGatewayApp
import CutlineJobStore
import CutlineMediaProcessorApp
import CutlineProductTestSupport
import CutlineRPC
import CutlineServiceHost
import CutlineSettings
import CutlineTestSupport
import Foundation
import ServiceLifecycle
import Testing

/// `cutline jobs …` as an operator runs it on a job the MediaProcessor never got.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ReplayToolTests {
    func cutline(_ arguments: [String], data: URL, extra: [String: String] = [:]) throws -> (code: Int32, stdout: String, stderr: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["CUTLINE_DATA_DIR"] = data.path
        environment["CUTLINE_LOG_LEVEL"] = "warning"
        environment.merge(extra) { _, new in new }
        return try ChildProcess.run([TestEnvironment.executable("cutline")] + arguments, environment: environment)
    }

    @Test func aJobTheProcessorNeverGotIsFoundAndReplayed() async throws {
        let ports = TestEnvironment.freePorts(3)
        let (port, mediaPort) = (ports[0], ports[1])
        let base = [
            "CUTLINE_GATEWAY_HTTP_LISTEN": "127.0.0.1:\(port)", "CUTLINE_PUBLIC_URL": "http://127.0.0.1:\(port)",
            "CUTLINE_MEDIA_ADDRESS": "127.0.0.1:\(mediaPort)", "CUTLINE_GATEWAY_RPC_LISTEN": "127.0.0.1:\(ports[2])",
        ]
        let data = try TestEnvironment.temporaryDirectory("replay")
        let server = try await RunningGateway(data: data, environment: base)
        defer { Teardowns.stop { await server.stop() } }

        // The processor is down: the job is probed by nobody, so plant the probe the way analyze would
        // have (from the real file, with ffprobe), then complete, which queues it and fails to dispatch.
        let video = TestEnvironment.fixtures.appendingPathComponent("media/bikes.mp4")
        let initiated = try server.initiate(video)
        let jobID = try #require(initiated.json["job_id"] as? String)
        let upload = try #require(initiated.json["upload"] as? [String: Any])
        let headers = (upload["headers"] as? [String: String] ?? [:]).flatMap { ["-H", "\($0.key): \($0.value)"] }
        #expect(try server.curl(upload["url"] as! String, ["-X", "PUT", "--data-binary", "@\(video.path)"] + headers).status == 200)
        let analyzed = try server.postJSON("/api/video/analyze-duration", #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 2}}"#)
        #expect(analyzed.status == 503 && analyzed.errorCode == "media_unavailable", "\(analyzed.errorMessage)")

        // The processor comes up; the Gateway gets the job to it with the same requests again.
        var environment = base
        environment["CUTLINE_DATA_DIR"] = data.path
        environment["CUTLINE_MEDIA_RPC_LISTEN"] = "127.0.0.1:\(mediaPort)"
        let settings = try ServiceSettings(
            service: "media", defaultListen: "127.0.0.1:0", options: try ServiceOptions.parse([]), environment: environment)
        let processor = try buildMediaProcessor(settings, logger: TestServices.quiet)
        _ = try processor.service.rpcServer.start()
        #expect(
            try server.postJSON("/api/video/analyze-duration", #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 2}}"#).status == 200)
        // The processor's runner is not running yet, and its RPC server takes the job: stop its RPC to
        // make the dispatch fail, as when the processor dies between analyze and complete.
        let group = ServiceGroup(services: [processor.service.rpcServer], logger: TestServices.quiet)
        let rpcTask = Task { try await group.run() }
        await group.triggerGracefulShutdown()
        _ = try? await rpcTask.value
        let complete = #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 2}, "text": {"mode": "single", "text": "replayed"}}"#
        let started = try server.postJSON("/api/upload/complete", complete)
        #expect(started.status == 503 && started.errorMessage.contains("queued"), "\(started.errorMessage)")

        // The operator finds it: queued, not held by the processor.
        let listed = try cutline(["jobs", "list", "--state", "QUEUED"], data: data)
        #expect(listed.code == 0 && listed.stdout.contains(jobID), "\(listed.stdout)\(listed.stderr)")
        // Stuck once it has waited longer than --for (here: at once), not before.
        let stuck = try cutline(["jobs", "list", "--stuck", "--for", "0"], data: data)
        #expect(stuck.code == 0 && stuck.stdout.contains(jobID) && stuck.stdout.contains("STUCK"), "\(stuck.stdout)\(stuck.stderr)")
        let patient = try cutline(["jobs", "list", "--stuck", "--for", "3600"], data: data)
        #expect(patient.stdout == "no stuck jobs\n", "\(patient.stdout)\(patient.stderr)")
        let shown = try cutline(["jobs", "show", jobID], data: data)
        #expect(shown.code == 0 && shown.stdout.contains("processor: does not hold this job"), "\(shown.stdout)\(shown.stderr)")
        #expect(shown.stdout.contains("gateway outbox:") && shown.stdout.contains("QUEUED"), "\(shown.stdout)")

        // A processor runs again (a new one on the same database), and the replay hands the job over.
        let again = try buildMediaProcessor(settings, logger: TestServices.quiet)
        let running = ServiceGroup(services: again.service.services, logger: TestServices.quiet)
        let task = Task { try await running.run() }
        defer { task.cancel() }
        var replayed = try cutline(["jobs", "replay", jobID], data: data, extra: base)
        for _ in 0..<50 where replayed.code != 0 && replayed.stderr.contains("did not take") {
            try await Task.sleep(for: .milliseconds(100))
            replayed = try cutline(["jobs", "replay", jobID], data: data, extra: base)
        }
        #expect(replayed.code == 0 && replayed.stdout.contains("dispatched"), "\(replayed.stdout)\(replayed.stderr)")
        var state = ""
        for _ in 0..<400 where state != "COMPLETED" {
            try await Task.sleep(for: .milliseconds(100))
            state = try server.curl("/api/jobs/\(jobID)/status").json["state"] as? String ?? ""
        }
        #expect(state == "COMPLETED")
        let done = try cutline(["jobs", "list", "--stuck", "--for", "0"], data: data)
        #expect(done.stdout == "no stuck jobs\n", "a finished job is listed as stuck: \(done.stdout)")
        await running.triggerGracefulShutdown()

        // Finished jobs and unknown ids are refused, with the reason.
        let finished = try cutline(["jobs", "replay", jobID], data: data, extra: base)
        #expect(finished.code != 0 && finished.stderr.contains("finished jobs are not replayed"), "\(finished.stderr)")
        let unknown = try cutline(["jobs", "replay", JobID.make().description], data: data)
        #expect(unknown.code != 0 && unknown.stderr.contains("no job"), "\(unknown.stderr)")
        let malformed = try cutline(["jobs", "show", "nope"], data: data)
        #expect(malformed.code != 0 && malformed.stderr.contains("not a job id"), "\(malformed.stderr)")
    }
}
