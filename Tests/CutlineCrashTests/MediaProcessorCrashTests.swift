import CutlineCore
import CutlineGatewayApp
import CutlineJobStore
import CutlineProductTestSupport
import CutlineStorage
import CutlineTestSupport
import Foundation
import Testing

/// The MediaProcessor killed with SIGKILL in the middle of a job: the job was accepted, so it survives;
/// the restarted processor finishes it, and every clip is in storage and in the status record once.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct MediaProcessorCrashTests {
    @Test func killedProcessorFinishesTheJobAfterARestart() async throws {
        let ports = TestEnvironment.freePorts(3)
        let (port, mediaPort) = (ports[0], ports[1])
        let data = try TestEnvironment.temporaryDirectory("crash")
        let base = [
            "CUTLINE_GATEWAY_HTTP_LISTEN": "127.0.0.1:\(port)", "CUTLINE_PUBLIC_URL": "http://127.0.0.1:\(port)",
            "CUTLINE_MEDIA_ADDRESS": "127.0.0.1:\(mediaPort)", "CUTLINE_GATEWAY_RPC_LISTEN": "127.0.0.1:\(ports[2])",
        ]
        let server = try await RunningGateway(data: data, environment: base)
        defer { Teardowns.stop { await server.stop() } }
        var environment = ProcessInfo.processInfo.environment.merging(base) { _, new in new }
        environment["CUTLINE_DATA_DIR"] = data.path
        environment["CUTLINE_MEDIA_RPC_LISTEN"] = "127.0.0.1:\(mediaPort)"
        environment["CUTLINE_LOG_LEVEL"] = "info"
        func startProcessor() throws -> ChildProcess {
            let process = try ChildProcess([TestEnvironment.executable("cutline-media-processor")], environment: environment, captureIn: data)
            return process
        }
        var processor = try startProcessor()
        defer { processor.stop() }

        let long = data.appendingPathComponent("long.mp4")
        let source = TestEnvironment.fixtures.appendingPathComponent("media/bigbuckbunny.mp4")
        _ = try ChildProcess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "5", "-i", source.path, "-c", "copy", long.path])
        let initiated = try server.initiate(long)
        let jobID = try #require(initiated.json["job_id"] as? String)
        let upload = try #require(initiated.json["upload"] as? [String: Any])
        let headers = (upload["headers"] as? [String: String] ?? [:]).flatMap { ["-H", "\($0.key): \($0.value)"] }
        #expect(try server.curl(upload["url"] as! String, ["-X", "PUT", "--data-binary", "@\(long.path)"] + headers).status == 200)
        // The processor may still be starting: complete answers 503 until it takes the job.
        var started = try server.postJSON(
            "/api/upload/complete",
            #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 2}, "text": {"mode": "single", "text": "survives"}}"#)
        for _ in 0..<100 where started.status != 202 {
            try await Task.sleep(for: .milliseconds(100))
            started = try server.postJSON(
                "/api/upload/complete",
                #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 2}, "text": {"mode": "single", "text": "survives"}}"#)
        }
        #expect(started.status == 202, "\(started.errorMessage)")

        // Killed once some clips are up and others are not.
        let deadline = Date().addingTimeInterval(120)
        var uploaded = 0
        while Date() < deadline && uploaded < 2 {
            uploaded = (try server.curl("/api/jobs/\(jobID)/status").json["clips"] as? [Any])?.count ?? 0
            try await Task.sleep(for: .milliseconds(50))
        }
        processor.signal(SIGKILL)
        #expect(processor.wait(timeout: 10) == 128 + SIGKILL)
        let atKill = (try server.curl("/api/jobs/\(jobID)/status").json["clips"] as? [Any])?.count ?? 0
        #expect(atKill >= 2 && atKill < 16, "the kill landed mid-job (\(atKill) of 16 clips)")
        // The clips already stored are not rendered or stored again (a rewrite is a new file).
        func fileNumber(_ index: Int) -> Int? {
            let path = data.appendingPathComponent("blobs/clips/\(jobID)/\(index).mp4").path
            return (try? FileManager.default.attributesOfItem(atPath: path))?[.systemFileNumber] as? Int
        }
        let storedBefore = (0..<atKill).map(fileNumber)
        #expect(storedBefore.allSatisfy { $0 != nil })

        processor = try startProcessor()
        let finished = Date().addingTimeInterval(240)
        var status = try server.curl("/api/jobs/\(jobID)/status")
        while Date() < finished, status.json["state"] as? String != "COMPLETED" {
            try await Task.sleep(for: .milliseconds(250))
            status = try server.curl("/api/jobs/\(jobID)/status")
        }
        #expect(
            status.json["state"] as? String == "COMPLETED", "\(String(decoding: status.body, as: UTF8.self))\n\(processor.standardError.suffix(2000))"
        )
        let clips = try #require(status.json["clips"] as? [[String: Any]])
        #expect(clips.map { $0["index"] as? Int } == Array(0..<16).map { $0 }, "every clip once, in order")
        let stored = try await server.gateway.objects.list(prefix: "clips/\(jobID)/")
        // Every clip once, each with its thumbnail (a clip resumed after the kill gets one too).
        #expect(stored.map(\.key).sorted() == (0..<16).flatMap { ["clips/\(jobID)/\($0).mp4", "clips/\(jobID)/\($0).jpg"] }.sorted())
        #expect(processor.standardError.contains("resumed=true"), "the restarted processor took the job up again")
        #expect((0..<atKill).map(fileNumber) == storedBefore, "clips stored before the kill were left as they were")
        let resumedAt = processor.standardError.firstMatch(of: /first_clip=(\d+)/).flatMap { Int($0.1) }
        #expect(
            resumedAt.map { $0 >= atKill } == true,
            "the render resumed at the first clip not stored (\(String(describing: resumedAt)), \(atKill) stored)")
    }
}
