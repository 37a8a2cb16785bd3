import ArgumentParser
import CutlineContracts
import CutlineCore
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
import Foundation
import ServiceLifecycle
import Testing

@Suite(.serialized, .timeLimit(.minutes(10)))
struct EndToEndTests {
    static let video = TestEnvironment.fixtures.appendingPathComponent("media/bigbuckbunny.mp4")

    /// Upload, analyze, complete, poll, download: the clips are the planned ones, with their text.
    @Test func oneJobFromUploadToDownloadedClips() async throws {
        let product = try await RunningProduct()
        defer { Teardowns.stop { await product.stop() } }
        let server = product.gateway
        let jobID = try product.upload(Self.video)

        let cutting = #"{"mode": "fixed", "seconds": 2}"#
        let analyzed = try server.postJSON("/api/video/analyze-duration", #"{"job_id": "\#(jobID)", "cutting": \#(cutting)}"#)
        #expect(analyzed.status == 200, "\(String(decoding: analyzed.body, as: UTF8.self))")
        let count = try #require(analyzed.json["count"] as? Int)
        #expect((analyzed.json["segments"] as? [[String: Any]])?.count == count)
        #expect((analyzed.json["source"] as? [String: Any])?["width"] as? Int == 1280)

        let complete = #"{"job_id": "\#(jobID)", "cutting": \#(cutting), "text": {"mode": "single", "text": "Cutline end to end"}}"#
        let started = try server.postJSON("/api/upload/complete", complete)
        #expect(started.status == 202 && started.json["state"] as? String == "QUEUED", "\(String(decoding: started.body, as: UTF8.self))")
        // The same request again: the same answer, and no second job at the processor.
        #expect(try server.postJSON("/api/upload/complete", complete).status == 202)
        let other = #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 3}, "text": {"mode": "single", "text": "x"}}"#
        #expect(try server.postJSON("/api/upload/complete", other).status == 409)

        let status = try await product.finished(jobID)
        #expect(status.json["state"] as? String == "COMPLETED", "\(String(decoding: status.body, as: UTF8.self))")
        let clips = try #require(status.json["clips"] as? [[String: Any]])
        #expect(clips.count == count, "the analyzed count is the rendered count")
        let processorJobs = try await product.processor.database.read { try $0.query("SELECT count(*) FROM jobs").first?.integer(0) }
        #expect(processorJobs == 1)
        for clip in clips {
            let answer = try server.curl(clip["url"] as! String)
            #expect(answer.status == 200 && answer.headers["content-disposition"]?.contains("bigbuckbunny - clip") == true)
            let file = server.data.appendingPathComponent("clip-\(clip["index"] as! Int).mp4")
            try answer.body.write(to: file)
            let probe = try ChildProcess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file.path])
            let duration = try #require(Double(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(abs(duration - (clip["duration"] as! Double)) < 0.1, "clip \(clip["index"]!): \(duration) s")
        }
        // The overlay is in the picture (OCR of the first clip's frame, as the media tests read it).
        let first = server.data.appendingPathComponent("clip-0.mp4")
        let frame = server.data.appendingPathComponent("frame.png")
        _ = try ChildProcess.run([
            "ffmpeg", "-v", "error", "-y", "-ss", "1", "-i", first.path, "-frames:v", "1",
            "-vf", "format=gray,scale=iw*2:ih*2,lut=y='if(gt(val,225),0,255)'", frame.path,
        ])
        let read = try ChildProcess.run(["tesseract", frame.path, "-"]).stdout.lowercased().filter { $0.isLetter }
        #expect(read.contains("cutlineendtoend"), "OCR read: \(read)")
        // Every clip exactly once in storage, each with its thumbnail beside it.
        let objects = try await product.processor.objects.list(prefix: "clips/\(jobID)/").map(\.key).sorted()
        #expect(objects == (0..<count).flatMap { ["clips/\(jobID)/\($0).jpg", "clips/\(jobID)/\($0).mp4"] }.sorted(), "\(objects)")
    }

    /// Cancel while clips are still being rendered: CANCELLED at once, the render stops, the clips
    /// already finished stay downloadable, and nothing more is uploaded.
    @Test func cancellingMidRenderStopsItAndKeepsTheFinishedClips() async throws {
        let product = try await RunningProduct()
        defer { Teardowns.stop { await product.stop() } }
        let server = product.gateway
        // 32 s of 720p (the fixture looped by the ffmpeg CLI, streams copied): long enough to cancel mid-way.
        let long = server.data.appendingPathComponent("long.mp4")
        _ = try ChildProcess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "5", "-i", Self.video.path, "-c", "copy", long.path])
        let jobID = try product.upload(long)
        let started = try server.postJSON(
            "/api/upload/complete",
            #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 2}, "text": {"mode": "single", "text": "stop me"}}"#)
        #expect(started.status == 202)
        let deadline = Date().addingTimeInterval(120)
        var done = 0
        while Date() < deadline {
            done = (try server.curl("/api/jobs/\(jobID)/status").json["clips"] as? [Any])?.count ?? 0
            if done >= 1 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        try #require(done >= 1)
        let cancelled = try server.curl("/api/jobs/\(jobID)", ["-X", "DELETE"])
        #expect(cancelled.status == 202 && cancelled.json["state"] as? String == "CANCELLED")
        let status = try await product.finished(jobID, timeout: 10)
        #expect(status.json["state"] as? String == "CANCELLED")
        // The job's work directory goes when its render has stopped and its last upload ended: from then
        // on nothing more can arrive, and what did shows where the render stopped.
        let work = server.data.appendingPathComponent("work/\(jobID)")
        try await waitUntil { !FileManager.default.fileExists(atPath: work.path) }
        let stored = try await product.processor.objects.list(prefix: "clips/\(jobID)/").filter { $0.key.hasSuffix(".mp4") }.count
        #expect(stored < 16, "the render was stopped before its end (\(stored) of 16 clips)")
        let clips = try #require(try server.curl("/api/jobs/\(jobID)/status").json["clips"] as? [[String: Any]])
        #expect(!clips.isEmpty)
        for clip in clips { #expect(try server.curl(clip["url"] as! String, ["-I"]).status == 200) }
        let again = try server.curl("/api/jobs/\(jobID)", ["-X", "DELETE"])
        #expect(again.status == 409 && again.errorMessage.contains("CANCELLED"))
    }

    /// The texts are measured on the source's frame before anything starts: analyze warns beside the
    /// clip concerned, and complete refuses a text that would not fit (naming its clip).
    @Test func textsThatCannotBeDrawnAreReportedBeforeTheJobStarts() async throws {
        let product = try await RunningProduct()
        defer { Teardowns.stop { await product.stop() } }
        let server = product.gateway
        let jobID = try product.upload(Self.video)
        let long = Array(repeating: "far too many words for one clip", count: 30).joined(separator: " ")
        func body(_ texts: [String]) throws -> String {
            let object: [String: Any] = [
                "job_id": jobID, "cutting": ["mode": "fixed", "seconds": 2], "text": ["mode": "unique", "texts": texts],
                "style": ["font_size": 0.2],
            ]
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let texts = ["fits", "private \u{E000} sign", long]
        let analyzed = try server.postJSON("/api/video/analyze-duration", try body(texts))
        #expect(analyzed.status == 200, "\(analyzed.errorMessage)")
        let warnings = try #require(analyzed.json["warnings"] as? [[String: Any]])
        let found = warnings.map { "\($0["index"] as? Int ?? -1) \($0["code"] as? String ?? "")" }.sorted()
        #expect(found == ["1 missing_characters", "2 text_does_not_fit"], "\(warnings)")
        #expect(warnings.contains { ($0["message"] as? String)?.contains("U+E000") == true })

        let refused = try server.postJSON("/api/upload/complete", try body(texts))
        #expect(
            refused.status == 422 && refused.errorCode == "text_does_not_fit" && refused.errorMessage.contains("clip 3"), "\(refused.errorMessage)")
        // Nothing was queued: the job starts once the text is shortened.
        let fixed = try server.postJSON("/api/upload/complete", try body(["fits", "private \u{E000} sign", "short now"]))
        #expect(fixed.status == 202, "\(fixed.errorMessage)")
        #expect(try await product.finished(jobID).json["state"] as? String == "COMPLETED")
    }

    /// Random cutting without a seed: analyze picks one and remembers it, so complete without a seed
    /// renders exactly the plan previewed; a job never previewed must be given one.
    @Test func theRandomPlanPreviewedIsThePlanRendered() async throws {
        let product = try await RunningProduct()
        defer { Teardowns.stop { await product.stop() } }
        let server = product.gateway
        func uploaded() throws -> String { try product.upload(Self.video) }
        let cutting = #"{"mode": "random", "min": 1, "max": 2}"#
        let jobID = try uploaded()
        let analyzed = try server.postJSON("/api/video/analyze-duration", #"{"job_id": "\#(jobID)", "cutting": \#(cutting)}"#)
        #expect(analyzed.json["seed"] as? Int != nil)
        let previewed = try #require(analyzed.json["segments"] as? [[String: Any]]).map { [$0["start"] as! Double, $0["duration"] as! Double] }
        let started = try server.postJSON(
            "/api/upload/complete", #"{"job_id": "\#(jobID)", "cutting": \#(cutting), "text": {"mode": "single", "text": "random"}}"#)
        #expect(started.status == 202, "\(started.errorMessage)")
        let status = try await product.finished(jobID)
        let rendered = try #require(status.json["clips"] as? [[String: Any]]).map { [$0["start"] as! Double, $0["duration"] as! Double] }
        #expect(rendered == previewed && previewed.count >= 3, "previewed \(previewed), rendered \(rendered)")

        // The cut list for an editor, as OpenTimelineIO reads it (its JSON reader, and its CMX 3600
        // adapter for the EDL): one clip per clip rendered, each the same range of frames of the source.
        let fps = try #require(analyzed.json["source"] as? [String: Any])["fps"] as? Double ?? 0
        let frameRate = abs(fps - 30000.0 / 1001) < 1e-6 ? "30000/1001" : "\(Int(fps.rounded()))"
        for format in ["otio", "edl"] {
            let exported = try server.curl("/api/jobs/\(jobID)/export?format=\(format)")
            #expect(
                exported.status == 200 && exported.headers["content-disposition"]?.contains("bigbuckbunny.\(format)") == true, "\(exported.headers)")
            let file = server.data.appendingPathComponent("cut.\(format)")
            try exported.body.write(to: file)
            let read = try ChildProcess.run([
                "python3", TestEnvironment.repository.appendingPathComponent("Tests/Support/read-cut-list.py").path, file.path, format, frameRate,
            ])
            #expect(read.code == 0, "OpenTimelineIO could not read the \(format): \(read.stderr.suffix(1500))")
            let clips = ((try? JSONSerialization.jsonObject(with: Data(read.stdout.utf8))) as? [String: Any])?["clips"] as? [[String: Any]] ?? []
            let frames = clips.map { [Double($0["start"] as? Int ?? -1) / fps, Double($0["frames"] as? Int ?? -1) / fps] }
            #expect(frames.count == rendered.count, "\(format): \(clips.count) clips for \(rendered.count) rendered")
            for (index, (read, clip)) in zip(frames, rendered).enumerated() {
                #expect(abs(read[0] - clip[0]) < 0.5 / fps && abs(read[1] - clip[1]) < 1.5 / fps, "\(format) clip \(index + 1): \(read) for \(clip)")
            }
            #expect(clips.allSatisfy { ($0["target"] as? String) == "bigbuckbunny.mp4" || format == "edl" })
        }
        let early = try server.curl("/api/jobs/\(try uploaded())/export?format=edl")
        #expect(early.status == 409, "a job not started has no cut list yet: \(early.status)")
        #expect(try server.curl("/api/jobs/\(jobID)/export?format=xml").status == 400)

        let never = try uploaded()
        let refused = try server.postJSON(
            "/api/upload/complete", #"{"job_id": "\#(never)", "cutting": \#(cutting), "text": {"mode": "single", "text": "random"}}"#)
        #expect(refused.status == 422 && refused.errorCode == "seed_required", "\(refused.errorMessage)")
    }

    /// Variations come from the TextService; a vary job without texts gets them from it once; with the
    /// TextService stopped, variations are a 503 that says so and a job with its own text completes.
    @Test func textVariationsComeFromTheTextServiceAndJobsGoOnWithoutIt() async throws {
        let product = try await RunningProduct(withText: true)
        defer { Teardowns.stop { await product.stop() } }
        let server = product.gateway
        let ask = #"{"base_text": "This trick will change your life", "count": 4, "seed": 5}"#
        let varied = try server.postJSON("/api/text/variations", ask)
        #expect(varied.status == 200, "\(varied.errorMessage)")
        let texts = try #require(varied.json["texts"] as? [String])
        #expect(texts.count == 4 && Set(texts).count == 4 && texts.first == "This trick will change your life")
        #expect(varied.json["engine"] as? String == "offline:lexicon")
        let replaced = try #require(varied.json["replaced"] as? [[[String: String]]], "the words each text replaced")
        #expect(replaced.count == 4 && replaced[0].isEmpty)
        let tooFew = try server.postJSON("/api/text/variations", #"{"base_text": "Best day ever", "count": 5}"#)
        #expect(
            tooFew.status == 422 && tooFew.errorCode == "too_few" && tooFew.errorMessage.contains("gave 1 distinct texts"), "\(tooFew.errorMessage)")
        let fewer = try server.postJSON("/api/text/variations", #"{"base_text": "Best day ever", "count": 5, "allow_fewer": true}"#)
        #expect(fewer.status == 200 && fewer.json["texts"] as? [String] == ["Best day ever"])
        #expect(try server.postJSON("/api/text/variations", ask).json["texts"] as? [String] == texts, "the same seed, the same texts")
        let bad = try server.postJSON("/api/text/variations", #"{"base_text": "x", "count": 0}"#)
        #expect(bad.status == 422 && bad.errorCode == "bad_variations" && bad.errorMessage.contains("count is 0"), "\(bad.errorMessage)")
        #expect(try server.postJSON("/api/text/variations", #"{"count": 3}"#).status == 400)

        // vary without texts: the Gateway asks once and the job renders what it got.
        let jobID = try product.startJob(Self.video, text: "unused", textChoice: #"{"mode": "vary", "base_text": "Watch this amazing trick"}"#)
        let status = try await product.finished(jobID)
        #expect(status.json["state"] as? String == "COMPLETED", "\(String(decoding: status.body, as: UTF8.self))")
        let rendered = try #require(status.json["clips"] as? [[String: Any]]).compactMap { $0["text"] as? String }
        #expect(rendered.count == 3 && Set(rendered).count == 3 && rendered.first == "Watch this amazing trick", "\(rendered)")

        await product.stopText()
        let down = try server.postJSON("/api/text/variations", ask)
        #expect(down.status == 503 && down.errorCode == "text_unavailable" && down.errorMessage.contains("TextService"), "\(down.errorMessage)")
        let single = try product.startJob(Self.video, text: "No TextService needed")
        #expect(try await product.finished(single).json["state"] as? String == "COMPLETED")
    }

    @Test func aFileThatIsNotAVideoIsRefusedWithTheReason() async throws {
        let product = try await RunningProduct()
        defer { Teardowns.stop { await product.stop() } }
        let server = product.gateway
        let fake = server.data.appendingPathComponent("holiday.mp4")
        try Data(String(repeating: "this is not a video\n", count: 500).utf8).write(to: fake)
        let initiated = try server.initiate(fake)
        let jobID = try #require(initiated.json["job_id"] as? String)
        let upload = try #require(initiated.json["upload"] as? [String: Any])
        #expect(
            try server.curl(upload["url"] as! String, ["-X", "PUT", "-H", "Content-Type: video/mp4", "--data-binary", "@\(fake.path)"]).status == 200)
        let analyzed = try server.postJSON("/api/video/analyze-duration", #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 2}}"#)
        #expect(analyzed.status == 422 && analyzed.errorCode == "not_a_video", "\(analyzed.status) \(analyzed.errorMessage)")
        #expect(analyzed.errorMessage.contains("not a video Cutline can read"), "\(analyzed.errorMessage)")
        let complete = try server.postJSON(
            "/api/upload/complete", #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 2}, "text": {"mode": "single", "text": "x"}}"#)
        #expect(complete.status == 422, "\(complete.errorMessage)")
    }

    @Test func analyzingBeforeTheUploadArrivedSaysSo() async throws {
        let product = try await RunningProduct()
        defer { Teardowns.stop { await product.stop() } }
        let initiated = try product.gateway.initiate(Self.video)
        let jobID = try #require(initiated.json["job_id"] as? String)
        let analyzed = try product.gateway.postJSON(
            "/api/video/analyze-duration", #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 2}}"#)
        #expect(analyzed.status == 409 && analyzed.errorMessage.contains("has not arrived"), "\(analyzed.errorMessage)")
        let unique = try product.gateway.postJSON(
            "/api/video/analyze-duration", #"{"job_id": "\#(JobID.make())", "cutting": {"mode": "fixed", "seconds": 2}}"#)
        #expect(unique.status == 404)
    }

    /// The same job against S3 (SeaweedFS, signatures enforced) and DynamoDB (moto): the upload goes to
    /// S3's own presigned URL, the processor reads it from S3, and the status the Gateway answers is the
    /// item in DynamoDB, read here with boto3.
    @Test func oneJobOnS3AndDynamoDB() async throws {
        let servers = try AWSServers(bucket: "e2e-bucket", table: "e2e-jobs")
        defer { servers.stop() }
        let (seaweed, moto, aws) = (servers.seaweed, servers.moto, servers.environment)

        let product = try await RunningProduct(environment: aws)
        defer { Teardowns.stop { await product.stop() } }
        let server = product.gateway
        let initiated = try server.initiate(Self.video)
        let jobID = try #require(initiated.json["job_id"] as? String)
        let upload = try #require(initiated.json["upload"] as? [String: Any])
        let url = try #require(upload["url"] as? String)
        #expect(url.hasPrefix(seaweed.endpoint.absoluteString), "the browser uploads to S3, not through the Gateway")
        let headers = (upload["headers"] as? [String: String] ?? [:]).flatMap { ["-H", "\($0.key): \($0.value)"] }
        #expect(try server.curl(url, ["-X", "PUT", "--data-binary", "@\(Self.video.path)"] + headers).status == 200)
        let analyzed = try server.postJSON(
            "/api/video/analyze-duration", #"{"job_id": "\#(jobID)", "cutting": {"mode": "random", "min": 1.5, "max": 2.5}}"#)
        #expect(analyzed.status == 200, "\(analyzed.errorMessage)")
        let seed = try #require(analyzed.json["seed"] as? Int)
        let count = try #require(analyzed.json["count"] as? Int)
        let started = try server.postJSON(
            "/api/upload/complete",
            #"{"job_id": "\#(jobID)", "cutting": {"mode": "random", "min": 1.5, "max": 2.5, "seed": \#(seed)}, "text": {"mode": "single", "text": "on S3"}}"#
        )
        #expect(started.status == 202, "\(started.errorMessage)")
        let status = try await product.finished(jobID)
        #expect(status.json["state"] as? String == "COMPLETED", "\(String(decoding: status.body, as: UTF8.self))")
        let clips = try #require(status.json["clips"] as? [[String: Any]])
        #expect(clips.count == count)
        // The texts are the job's: the DynamoDB item does not keep them, the answer has them.
        #expect(clips.allSatisfy { $0["text"] as? String == "on S3" }, "\(clips.map { $0["text"] ?? "none" })")
        for clip in clips {
            let link = clip["url"] as! String
            #expect(link.hasPrefix(seaweed.endpoint.absoluteString))
            #expect(try SeaweedFS.curl([link]).status == 200)
        }
        // Independent readers: boto3 for the DynamoDB item and the bucket's listing.
        let script = """
            import boto3, json, sys
            ddb = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
            item = ddb.get_item(TableName="e2e-jobs", Key={"job_id": {"S": sys.argv[3]}}, ConsistentRead=True)["Item"]
            s3 = boto3.client("s3", endpoint_url=sys.argv[2], region_name="us-east-1", aws_access_key_id=sys.argv[4], aws_secret_access_key=sys.argv[5])
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket="e2e-bucket", Prefix="clips/" + sys.argv[3] + "/").get("Contents", [])]
            print(json.dumps({"state": item["state"]["S"], "version": int(item["version"]["N"]), "clips": len(item["clips"]["L"]), "keys": sorted(keys)}))
            """
        let read = try ChildProcess.run([
            "python3", "-c", script, moto.server.baseURL.absoluteString, seaweed.endpoint.absoluteString, jobID,
            SeaweedFS.accessKeyID, SeaweedFS.secretAccessKey,
        ])
        #expect(read.code == 0, "\(read.stderr)")
        let stored = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any])
        #expect(stored["state"] as? String == "COMPLETED")
        #expect(stored["version"] as? Int == status.json["version"] as? Int)
        #expect(stored["clips"] as? Int == count)
        // Each clip and its thumbnail, in SeaweedFS.
        #expect(stored["keys"] as? [String] == (0..<count).flatMap { ["clips/\(jobID)/\($0).mp4", "clips/\(jobID)/\($0).jpg"] }.sorted())
    }

    /// With the status store gone (moto stopped), a job's status is a 503 `status_unavailable` that says
    /// to try again, not a 500 or a made-up state; what does not need the store still answers.
    @Test func theStatusIsA503WhileTheStatusStoreIsDown() async throws {
        let servers = try AWSServers(bucket: "down-bucket", table: "down-jobs")
        defer { servers.stop() }
        let product = try await RunningProduct(environment: servers.environment)
        defer { Teardowns.stop { await product.stop() } }
        let initiated = try product.gateway.initiate(Self.video)
        let jobID = try #require(initiated.json["job_id"] as? String)
        try await waitFor { try product.gateway.curl("/api/jobs/\(jobID)/status").status == 200 }

        servers.moto.stop()
        // (A kept answer may still be served for a moment: the next read of the store fails.)
        try await waitFor { try product.gateway.curl("/api/jobs/\(jobID)/status").status != 200 }
        let down = try product.gateway.curl("/api/jobs/\(jobID)/status")
        #expect(down.status == 503 && down.errorCode == "status_unavailable", "\(down.status) \(down.errorMessage)")
        #expect(down.errorMessage.contains("status store") && down.errorMessage.contains("try again"), "\(down.errorMessage)")
        #expect(try product.gateway.curl("/api/health").status == 200)
    }

    /// DynamoDB (moto) paused with SIGSTOP while the job renders: the render goes on and finishes, its
    /// status writes wait in the outbox, and after SIGCONT the status catches up to COMPLETED.
    @Test func aPausedStatusStoreDelaysTheStatusButNotTheJob() async throws {
        let servers = try AWSServers(bucket: "pause-bucket", table: "pause-jobs")
        defer { servers.stop() }
        let (moto, aws) = (servers.moto, servers.environment)
        let product = try await RunningProduct(environment: aws)
        defer { Teardowns.stop { await product.stop() } }
        let server = product.gateway
        let jobID = try product.upload(Self.video)
        let started = try server.postJSON(
            "/api/upload/complete",
            #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 1}, "text": {"mode": "single", "text": "paused"}}"#)
        #expect(started.status == 202, "\(started.errorMessage)")

        moto.server.process.signal(SIGSTOP)
        let id = try JobID(validating: jobID)
        var held = try await product.processor.jobs.job(id)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, held?.state != .completed {
            try await Task.sleep(for: .milliseconds(200))
            held = try await product.processor.jobs.job(id)
        }
        #expect(held?.state == .completed, "the render finished while the status store was paused")
        let waiting = try await product.processor.outbox.stats()
        #expect(waiting.pending > 0, "its status writes wait in the outbox")
        moto.server.process.signal(SIGCONT)

        let status = try await product.finished(jobID)
        #expect(status.json["state"] as? String == "COMPLETED")
        #expect((status.json["clips"] as? [Any])?.count == held?.request.plan.count)
        try await waitFor { try await product.processor.outbox.stats().pending == 0 }
    }
}
