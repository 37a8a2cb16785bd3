import CutlineContracts
import CutlineCore
import CutlineGatewayApp
import CutlineJobStore
import CutlineMediaProcessorApp
import CutlineOutbox
import CutlineProductTestSupport
import CutlineSQLite
import CutlineStorage
import CutlineTestSupport
import Foundation
import Testing

/// How the MediaProcessor's runner schedules jobs and reports them while they render.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct JobRunnerTests {
    /// One status sample as the browser sees it while polling.
    struct Sample: Equatable {
        let state: String
        let version: Int
        let clipsDone: Int
        let framesDone: Int
        let framesTotal: Int

        init(_ json: [String: Any]) {
            let progress = json["progress"] as? [String: Any] ?? [:]
            state = json["state"] as? String ?? ""
            version = json["version"] as? Int ?? -1
            clipsDone = progress["clips_done"] as? Int ?? -1
            framesDone = progress["frames_done"] as? Int ?? -1
            framesTotal = progress["frames_total"] as? Int ?? -1
        }
    }

    /// Long clips (8 s of 720p each) so that several progress writes land between two clips.
    @Test func progressRisesFrameByFrameBetweenClipsAndNeverGoesBack() async throws {
        let product = try await RunningProduct()
        defer { Teardowns.stop { await product.stop() } }
        let jobID = try product.startJob(try product.longVideo(), cutting: #"{"mode": "fixed", "seconds": 8}"#)
        var samples: [Sample] = []
        let deadline = Date().addingTimeInterval(240)
        while Date() < deadline {
            let sample = Sample(try product.gateway.curl("/api/jobs/\(jobID)/status").json)
            if samples.last != sample { samples.append(sample) }
            if ["COMPLETED", "FAILED", "CANCELLED"].contains(sample.state) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let last = try #require(samples.last)
        #expect(last.state == "COMPLETED")
        #expect(last.framesTotal > 700 && last.framesDone == last.framesTotal, "\(last)")
        for (before, after) in zip(samples, samples.dropFirst()) {
            #expect(
                after.version > before.version && after.framesDone >= before.framesDone && after.clipsDone >= before.clipsDone,
                "went back: \(before) → \(after)")
        }
        // Within one clip count, the frames done moved (the per-clip writes alone would not show it).
        let processing = samples.filter { $0.state == "PROCESSING" }
        let moved = Dictionary(grouping: processing, by: \.clipsDone).values.filter { Set($0.map(\.framesDone)).count >= 2 }
        #expect(!moved.isEmpty, "no frame progress between clips: \(processing)")
    }

    /// The processor's own view of its jobs, in one read (two status reads would be two moments).
    static func states(_ product: RunningProduct, _ jobs: [String]) async throws -> [String] {
        let rows = try await product.processor.database.read { connection in
            try connection.query("SELECT job_id, state FROM jobs").map { ($0.text(0) ?? "", $0.text(1) ?? "") }
        }
        let byJob = Dictionary(uniqueKeysWithValues: rows)
        return jobs.map { byJob[$0] ?? "absent" }
    }

    /// One job at a time by default: the second waits until the first is done, in order.
    @Test func jobsWaitTheirTurnInOrder() async throws {
        let product = try await RunningProduct()
        defer { Teardowns.stop { await product.stop() } }
        let jobs = [try product.startJob(ProductFixtures.bigBuckBunny), try product.startJob(ProductFixtures.bigBuckBunny)]
        var sawFirstRunningWhileSecondWaits = false
        let deadline = Date().addingTimeInterval(240)
        var states: [String] = []
        while Date() < deadline {
            states = try await Self.states(product, jobs)
            #expect(states != ["PROCESSING", "PROCESSING"], "two jobs rendered at once with CUTLINE_MEDIA_CONCURRENT_JOBS=1")
            #expect(!(states[1] == "PROCESSING" && states[0] == "QUEUED"), "the second job went first")
            if states == ["PROCESSING", "QUEUED"] { sawFirstRunningWhileSecondWaits = true }
            if states[1] == "COMPLETED" { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(sawFirstRunningWhileSecondWaits)
        #expect(states == ["COMPLETED", "COMPLETED"])
    }

    /// A job cancelled while it waits behind another is never rendered; the one ahead completes.
    @Test func aQueuedJobCancelledBehindAnotherIsNeverRendered() async throws {
        let product = try await RunningProduct()
        defer { Teardowns.stop { await product.stop() } }
        let first = try product.startJob(try product.longVideo(), cutting: #"{"mode": "fixed", "seconds": 11}"#)
        let second = try product.startJob(ProductFixtures.bigBuckBunny)
        try await waitFor { try await Self.states(product, [first, second]) == ["PROCESSING", "QUEUED"] }
        let cancelled = try product.gateway.curl("/api/jobs/\(second)", ["-X", "DELETE"])
        #expect(cancelled.status == 202 && cancelled.json["state"] as? String == "CANCELLED")

        #expect(try await product.finished(first).json["state"] as? String == "COMPLETED")
        #expect(try await Self.states(product, [first, second]) == ["COMPLETED", "CANCELLED"])
        #expect(try await product.processor.objects.list(prefix: "clips/\(second)/").isEmpty, "the cancelled job was rendered")
        #expect(try product.gateway.curl("/api/jobs/\(second)/status").json["state"] as? String == "CANCELLED")
    }

    /// A source cut short after its index (an upload that lost its end): the render stores the clips it
    /// can, then the job fails `media_corrupt` in the middle, with the clips made so far kept.
    @Test func aRenderThatFailsMidwayFailsTheJobAndKeepsItsClips() async throws {
        let product = try await RunningProduct()
        defer { Teardowns.stop { await product.stop() } }
        let whole = product.gateway.data.appendingPathComponent("whole.mp4")
        _ = try ChildProcess.run([
            "ffmpeg", "-v", "error", "-y", "-i", try product.longVideo().path, "-c", "copy", "-movflags", "+faststart", whole.path,
        ])
        let bytes = try Data(contentsOf: whole)
        let cut = product.gateway.data.appendingPathComponent("cut-short.mp4")
        try bytes.prefix(bytes.count * 6 / 10).write(to: cut)

        let jobID = try product.startJob(cut, cutting: #"{"mode": "fixed", "seconds": 2}"#)
        let status = try await product.finished(jobID)
        let error = status.json["error"] as? [String: Any]
        #expect(status.json["state"] as? String == "FAILED", "\(status.json)")
        #expect(error?["code"] as? String == "media_corrupt", "\(error ?? [:])")
        let clips = (status.json["clips"] as? [Any])?.count ?? 0
        #expect(clips >= 1 && clips < 16, "\(clips) clips kept")
    }

    /// CUTLINE_MEDIA_CONCURRENT_JOBS=2: two jobs render side by side, and both complete.
    @Test func twoConcurrentJobsRenderSideBySide() async throws {
        let product = try await RunningProduct(environment: ["CUTLINE_MEDIA_CONCURRENT_JOBS": "2"])
        defer { Teardowns.stop { await product.stop() } }
        // The first job is six times longer, so it is still rendering whenever the second one starts.
        let jobs = [
            try product.startJob(try product.longVideo(), cutting: #"{"mode": "fixed", "seconds": 11}"#),
            try product.startJob(ProductFixtures.bigBuckBunny),
        ]
        var together = false
        let deadline = Date().addingTimeInterval(240)
        var states: [String] = []
        while Date() < deadline {
            states = try await Self.states(product, jobs)
            if states == ["PROCESSING", "PROCESSING"] { together = true }
            if states.allSatisfy({ $0 == "COMPLETED" || $0 == "FAILED" }) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(together, "the two jobs never rendered at the same time")
        #expect(states == ["COMPLETED", "COMPLETED"])
        for job in jobs {
            #expect(try await product.processor.objects.list(prefix: "clips/\(job)/").filter { $0.key.hasSuffix(".mp4") }.count == 3)
        }
    }

    /// A cancel that reached the status store but whose call never reached the processor (the Gateway
    /// records it, then the call is lost) still stops the render: the runner reads the shared status.
    @Test func aCancelSeenOnlyInTheStatusStoreStopsTheRender() async throws {
        let product = try await RunningProduct()
        defer { Teardowns.stop { await product.stop() } }
        let jobID = try product.startJob(try product.longVideo(), cutting: #"{"mode": "fixed", "seconds": 2}"#)
        let job = try JobID(validating: jobID)
        try await waitFor { (try product.gateway.curl("/api/jobs/\(jobID)/status").json["clips"] as? [Any])?.count ?? 0 >= 1 }
        // What JobFlow.cancel records, without its call to the processor.
        let attempt = try #require(try await product.gateway.gateway.jobs.job(job)).attempt
        try await product.gateway.gateway.jobs.cancel(job, attempt: attempt)

        try await waitFor { [.cancelled, .completed, .failed].contains(try await product.processor.jobs.job(job)?.state) }
        #expect(try await product.processor.jobs.job(job)?.state == .cancelled, "the render went on after the cancel")
        let stored = try await product.processor.objects.list(prefix: "clips/\(jobID)/").filter { $0.key.hasSuffix(".mp4") }
        #expect(stored.count < 16, "every clip was rendered")
        #expect(try await product.processor.status.status(of: job)?.state == .cancelled)
    }

    /// A job the processor died on three times (its row says so) is failed with the reason, not
    /// started a fourth time; the processor goes on.
    @Test func aJobThatStoppedTheProcessorThreeTimesFailsInsteadOfStartingAgain() async throws {
        let data = try TestEnvironment.temporaryDirectory("poison")
        let processor = try buildMediaProcessor(try TestServices.settings("media", data: data), logger: TestServices.quiet)
        let plan = try SegmentPlan.plan(duration: 10, frameRate: FrameRate(numerator: 24, denominator: 1), mode: .fixed(seconds: 5))
        let job = JobID.make()
        #expect(
            try await processor.jobs.accept(
                SubmitRequest(
                    jobID: job, attempt: 1, sourceKey: ObjectKeys.source(job), plan: plan,
                    texts: ["", ""], style: OverlayStyle())))
        try await processor.database.write {
            try $0.execute("UPDATE jobs SET state = ?, starts = 3 WHERE job_id = ?", [JobState.processing.sqlValue, .text(job.description)])
        }
        try await TestServices.running(processor.service) {
            for _ in 0..<100 where try await processor.jobs.job(job)?.state != .failed {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await processor.jobs.job(job)?.state == .failed)
            var status = try await processor.status.status(of: job)
            for _ in 0..<100 where status?.state != .failed {
                try await Task.sleep(for: .milliseconds(50))
                status = try await processor.status.status(of: job)
            }
            #expect(
                status?.error?.code == "render_crashed" && status?.error?.message.contains("stopped 3 times") == true, "\(String(describing: status))"
            )
        }
    }
}
