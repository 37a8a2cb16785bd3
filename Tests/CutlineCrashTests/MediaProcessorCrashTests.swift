import CutlineCore
import CutlineGatewayApp
import CutlineJobStore
import CutlineProductTestSupport
import CutlineStorage
import CutlineTestSupport
import Foundation
import Testing

/// The MediaProcessor killed with SIGKILL in the middle of a job: the job was accepted, so it survives;
/// the restarted processor finishes it, and every clip is in storage and in the status record once. A
/// job cancelled while the processor was down is not rendered when it returns.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct MediaProcessorCrashTests {
    @Test func killedProcessorFinishesTheJobAfterARestart() async throws {
        let bench = try await CrashBench()
        defer { bench.stop() }
        var processor = try bench.startProcessor()
        defer { processor.stop() }
        let jobID = try await bench.submitLongJob(text: "survives")

        // Killed once some clips are up and others are not.
        try await bench.waitForClips(jobID, atLeast: 2)
        processor.signal(SIGKILL)
        #expect(processor.wait(timeout: 10) == 128 + SIGKILL)
        let atKill = try bench.clipsListed(jobID)
        #expect(atKill >= 2 && atKill < 16, "the kill landed mid-job (\(atKill) of 16 clips)")
        // The clips already stored are not rendered or stored again (a rewrite is a new file).
        let storedBefore = (0..<atKill).map { bench.fileNumber(jobID, $0) }
        #expect(storedBefore.allSatisfy { $0 != nil })

        processor = try bench.startProcessor()
        let status = try await bench.waitForState(jobID, "COMPLETED")
        #expect(
            status.json["state"] as? String == "COMPLETED", "\(String(decoding: status.body, as: UTF8.self))\n\(processor.standardError.suffix(2000))"
        )
        let clips = try #require(status.json["clips"] as? [[String: Any]])
        #expect(clips.map { $0["index"] as? Int } == Array(0..<16).map { $0 }, "every clip once, in order")
        let stored = try await bench.server.gateway.objects.list(prefix: "clips/\(jobID)/")
        // Every clip once, each with its thumbnail (a clip resumed after the kill gets one too).
        #expect(stored.map(\.key).sorted() == (0..<16).flatMap { ["clips/\(jobID)/\($0).mp4", "clips/\(jobID)/\($0).jpg"] }.sorted())
        #expect(processor.standardError.contains("resumed=true"), "the restarted processor took the job up again")
        #expect((0..<atKill).map { bench.fileNumber(jobID, $0) } == storedBefore, "clips stored before the kill were left as they were")
        let resumedAt = processor.standardError.firstMatch(of: /first_clip=(\d+)/).flatMap { Int($0.1) }
        #expect(
            resumedAt.map { $0 >= atKill } == true,
            "the render resumed at the first clip not stored (\(String(describing: resumedAt)), \(atKill) stored)")
    }

    @Test func aJobCancelledWhileTheProcessorWasDownIsNotRenderedWhenItReturns() async throws {
        let bench = try await CrashBench()
        defer { bench.stop() }
        var processor = try bench.startProcessor()
        defer { processor.stop() }
        let jobID = try await bench.submitLongJob(text: "cancelled while away")
        try await bench.waitForClips(jobID, atLeast: 1)
        processor.signal(SIGKILL)
        #expect(processor.wait(timeout: 10) == 128 + SIGKILL)
        let atKill = try await bench.server.gateway.objects.list(prefix: "clips/\(jobID)/").map(\.key).sorted()

        // The Gateway cannot reach the processor; the cancel stands in the status store.
        let cancel = try bench.server.curl("/api/jobs/\(jobID)", ["-X", "DELETE"])
        #expect(cancel.status == 202, "\(cancel.errorMessage)")
        _ = try await bench.waitForState(jobID, "CANCELLED")

        processor = try bench.startProcessor()
        try await waitUntil { processor.standardError.contains("job cancelled before it started here") }
        let stored = try await bench.server.gateway.objects.list(prefix: "clips/\(jobID)/").map(\.key).sorted()
        #expect(stored == atKill, "the returning processor stored clips of a cancelled job: \(stored.count) objects, \(atKill.count) at the kill")
        #expect(!processor.standardError.contains("resumed=true"), "the cancelled job was taken up again")
        #expect(try bench.server.curl("/api/jobs/\(jobID)/status").json["state"] as? String == "CANCELLED")
        // The processor's own queue has it cancelled too, so a later restart does not take it up either.
        processor.signal(SIGTERM)
        #expect(processor.wait(timeout: 15) == 0)
        processor = try bench.startProcessor()
        try await waitFor { try bench.processorAnswers() }
        #expect(!processor.standardError.contains("job started"), "\(processor.standardError.suffix(2000))")
    }
}

/// A processor whose database cannot be written (its disk full) does not take the job up again in a hot
/// loop: after each attempt whose outcome it could not record it waits 1 s, then 2 s, then 4 s…; once
/// the disk has room again the job goes on from its first clip not stored and completes.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct MediaProcessorFullDatabaseTests {
    @Test(.enabled(if: SmallDisk.available || TestEnvironment.testServersRequired, "mounting a tmpfs needs root"))
    func aProcessorThatCannotWriteItsDatabaseBacksOffAndGoesOnOnceItCan() async throws {
        let bench = try await CrashBench()
        defer { bench.stop() }
        // Only the processor's database (and its journal, which SQLite keeps beside the file the link
        // points to) is on the small disk; the clips go to the usual store.
        let disk = try SmallDisk(megabytes: 4)
        defer { disk.unmount() }
        #expect(FileManager.default.createFile(atPath: disk.directory.appendingPathComponent("media.sqlite").path, contents: nil))
        try FileManager.default.createSymbolicLink(
            at: bench.data.appendingPathComponent("media.sqlite"), withDestinationURL: disk.directory.appendingPathComponent("media.sqlite"))
        let processor = try bench.startProcessor()
        defer { processor.stop() }
        let jobID = try await bench.submitLongJob(text: "no room")
        try await bench.waitForClips(jobID, atLeast: 1)

        try disk.fill(leaving: 0)
        let waiting = "a job's outcome could not be written; waiting before the next job"
        func lines(_ text: String) -> [Substring] { processor.standardError.split(separator: "\n").filter { $0.contains(text) } }
        try await waitFor(timeout: 60) { lines(waiting).count >= 3 }
        #expect(
            lines(waiting).prefix(3).map { Self.pause(in: $0) } == ["1.0 seconds", "2.0 seconds", "4.0 seconds"],
            "\(lines(waiting).prefix(3).joined(separator: "\n"))")
        // Each pause is kept: the next attempt's warning comes at least that long after (a lower bound,
        // which a slow machine only makes longer), and there is one attempt per pause, not a loop.
        let times = lines(waiting).prefix(3).map { Self.time(of: $0) }
        #expect(times[1] - times[0] >= 1.0 && times[2] - times[1] >= 2.0, "warnings at \(times)")
        #expect(lines("cannot record the failure").count <= lines(waiting).count + 1, "\(processor.standardError.suffix(3000))")

        for filler in try FileManager.default.contentsOfDirectory(atPath: disk.directory.path) where filler.hasPrefix("filler-") {
            try FileManager.default.removeItem(at: disk.directory.appendingPathComponent(filler))
        }
        let status = try await bench.waitForState(jobID, "COMPLETED")
        #expect(
            status.json["state"] as? String == "COMPLETED", "\(String(decoding: status.body, as: UTF8.self))\n\(processor.standardError.suffix(2000))"
        )
        #expect((status.json["clips"] as? [Any])?.count == 16)
    }

    /// When a logfmt line was written (`ts=2026-12-07T12:00:00.123Z`), in seconds since 1970.
    static func time(of line: Substring) -> Double {
        guard let range = line.range(of: "ts=") else { return 0 }
        let text = String(line[range.upperBound...].prefix { $0 != " " })
        let parsed = try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))
        return parsed?.timeIntervalSince1970 ?? 0
    }

    /// The `pause` a warning line names (logfmt: `pause="2.0 seconds"`).
    static func pause(in line: Substring) -> String {
        guard let range = line.range(of: "pause=") else { return "" }
        let rest = line[range.upperBound...]
        if rest.hasPrefix("\"") { return String(rest.dropFirst().prefix { $0 != "\"" }) }
        return String(rest.prefix { $0 != " " })
    }
}

/// A Gateway in this process and the built MediaProcessor as a child that the tests kill and restart,
/// sharing one data directory (the embedded stores).
private final class CrashBench: Sendable {
    let server: RunningGateway
    let data: URL
    let mediaAddress: String
    let environment: [String: String]

    init() async throws {
        let ports = TestEnvironment.freePorts(3)
        let (port, mediaPort) = (ports[0], ports[1])
        data = try TestEnvironment.temporaryDirectory("crash")
        let base = [
            "CUTLINE_GATEWAY_HTTP_LISTEN": "127.0.0.1:\(port)", "CUTLINE_PUBLIC_URL": "http://127.0.0.1:\(port)",
            "CUTLINE_MEDIA_ADDRESS": "127.0.0.1:\(mediaPort)", "CUTLINE_GATEWAY_RPC_LISTEN": "127.0.0.1:\(ports[2])",
        ]
        server = try await RunningGateway(data: data, environment: base)
        mediaAddress = "127.0.0.1:\(mediaPort)"
        var environment = ProcessInfo.processInfo.environment.merging(base) { _, new in new }
        environment["CUTLINE_DATA_DIR"] = data.path
        environment["CUTLINE_MEDIA_RPC_LISTEN"] = mediaAddress
        environment["CUTLINE_LOG_LEVEL"] = "info"
        self.environment = environment
    }

    func stop() {
        Teardowns.stop { await self.server.stop() }
    }

    func startProcessor() throws -> ChildProcess {
        try ChildProcess([TestEnvironment.executable("cutline-media-processor")], environment: environment, captureIn: data)
    }

    func processorAnswers() throws -> Bool {
        try ChildProcess.run([TestEnvironment.executable("cutline"), "health", mediaAddress, "--timeout", "1"], environment: environment).code == 0
    }

    /// Big Buck Bunny six times over, cut into 16 clips of 2 s, uploaded and started.
    func submitLongJob(text: String) async throws -> String {
        let long = data.appendingPathComponent("long.mp4")
        let source = TestEnvironment.fixtures.appendingPathComponent("media/bigbuckbunny.mp4")
        _ = try ChildProcess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "5", "-i", source.path, "-c", "copy", long.path])
        let initiated = try server.initiate(long)
        let jobID = try #require(initiated.json["job_id"] as? String)
        let upload = try #require(initiated.json["upload"] as? [String: Any])
        let headers = (upload["headers"] as? [String: String] ?? [:]).flatMap { ["-H", "\($0.key): \($0.value)"] }
        #expect(try server.curl(upload["url"] as! String, ["-X", "PUT", "--data-binary", "@\(long.path)"] + headers).status == 200)
        let body = #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 2}, "text": {"mode": "single", "text": "\#(text)"}}"#
        // The processor may still be starting: complete answers 503 until it takes the job.
        var started = try server.postJSON("/api/upload/complete", body)
        try await waitFor {
            if started.status != 202 { started = try self.server.postJSON("/api/upload/complete", body) }
            return started.status == 202
        }
        return jobID
    }

    func clipsListed(_ jobID: String) throws -> Int {
        (try server.curl("/api/jobs/\(jobID)/status").json["clips"] as? [Any])?.count ?? 0
    }

    func waitForClips(_ jobID: String, atLeast count: Int) async throws {
        try await waitFor { try self.clipsListed(jobID) >= count }
    }

    /// The status once it is `state`, or the last one seen after 4 minutes.
    func waitForState(_ jobID: String, _ state: String) async throws -> RunningGateway.Answer {
        let finished = Date().addingTimeInterval(240)
        var status = try server.curl("/api/jobs/\(jobID)/status")
        while Date() < finished, status.json["state"] as? String != state {
            try await Task.sleep(for: .milliseconds(250))
            status = try server.curl("/api/jobs/\(jobID)/status")
        }
        return status
    }

    /// The inode of a stored clip: a clip rendered and stored again is a new file.
    func fileNumber(_ jobID: String, _ index: Int) -> Int? {
        let path = data.appendingPathComponent("blobs/clips/\(jobID)/\(index).mp4").path
        return (try? FileManager.default.attributesOfItem(atPath: path))?[.systemFileNumber] as? Int
    }
}
