import CutlineProductTestSupport
import CutlineTestSupport
import Foundation
import Testing

/// Vertical clips for a platform through the product: analyze reports the frame and safe area, the
/// clips come out 1080×1920 with thumbnails, and previews are the render's own frames.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct ShortFormTests {
    @Test func aTikTokJobMakesVerticalClipsWithThumbnailsAndPreviews() async throws {
        let product = try await RunningProduct()
        defer { Teardowns.stop { await product.stop() } }
        let server = product.gateway
        let jobID = try product.upload(ProductFixtures.bigBuckBunny)

        let look = #""style": {"position": "bottom", "shadow": 2}, "platform": "tiktok""#
        let analyzed = try server.postJSON(
            "/api/video/analyze-duration",
            #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 2}, "text": {"mode": "single", "text": "Party time 🎉🔥"}, \#(look)}"#)
        #expect(analyzed.status == 200, "\(analyzed.errorMessage)")
        let output = try #require(analyzed.json["output"] as? [String: Any])
        #expect(output["width"] as? Int == 1080 && output["height"] as? Int == 1920)
        let safe = try #require(output["safe_area"] as? [String: Double])
        #expect(abs((safe["bottom"] ?? 0) - 420.0 / 1920) < 1e-9)
        // Emoji are drawn, so they are no warning.
        #expect((analyzed.json["warnings"] as? [Any])?.isEmpty == true, "\(analyzed.json["warnings"] ?? "")")

        // Before the job starts: any text on the uploaded video, as a clip would show it.
        let custom = try server.postJSON("/api/jobs/\(jobID)/preview", #"{"text": "Preview me", "at": 1.5, "width": 540, \#(look)}"#)
        #expect(custom.status == 200 && custom.headers["content-type"] == "image/jpeg", "\(custom.status) \(custom.errorMessage)")
        #expect(try jpegSize(custom.body, in: server.data) == (540, 960))
        // The clip preview exists only once the job has started.
        #expect(try server.curl("/api/jobs/\(jobID)/preview?clip=0").status == 409)

        let started = try server.postJSON(
            "/api/upload/complete",
            #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 2}, "text": {"mode": "single", "text": "Party time 🎉🔥"}, \#(look)}"#)
        try #require(started.status == 202, "\(started.errorMessage)")
        let done = try await product.finished(jobID)
        #expect(done.json["state"] as? String == "COMPLETED", "\(done.json)")
        let clips = try #require(done.json["clips"] as? [[String: Any]])
        try #require(clips.count == 3)
        for clip in clips {
            let file = server.data.appendingPathComponent("clip-\(UUID().uuidString).mp4")
            let download = try server.curl(clip["url"] as! String)
            try #require(download.status == 200)
            try download.body.write(to: file)
            let probe = try ChildProcess.run([
                "ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,profile", "-of", "csv=p=0", file.path,
            ])
            #expect(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "High,1080,1920", "clip \(clip["index"] ?? ""): \(probe.stdout)")
            // TikTok's loudness: the film's quiet soundtrack (about −31 to −38 LUFS a clip) brought to −14.
            let log = file.path + ".r128"
            _ = try ChildProcess.run([
                "ffmpeg", "-v", "error", "-i", file.path, "-vn", "-af", "ebur128=peak=true:metadata=1,ametadata=mode=print:file=\(log)", "-f", "null",
                "-",
            ])
            let r128 = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            let integrated = r128.last { $0.hasPrefix("lavfi.r128.I=") }.flatMap { Double($0.dropFirst("lavfi.r128.I=".count)) }
            #expect(abs((integrated ?? 0) - -14) <= 1, "clip \(clip["index"] ?? ""): \(integrated ?? 0) LUFS")
            let thumbnail = try server.curl(try #require(clip["thumbnail_url"] as? String, "clip without thumbnail_url"))
            #expect(thumbnail.status == 200 && thumbnail.body.starts(with: [0xFF, 0xD8]), "the thumbnail is not a JPEG")
        }
        let preview = try server.curl("/api/jobs/\(jobID)/preview?clip=1")
        #expect(preview.status == 200 && preview.headers["content-type"] == "image/jpeg")
        #expect(try jpegSize(preview.body, in: server.data) == (1080, 1920))
        #expect(try server.curl("/api/jobs/\(jobID)/preview?clip=3").status == 400)
    }

    @Test func badLooksAreRefusedWithTheirReason() async throws {
        let product = try await RunningProduct()
        defer { Teardowns.stop { await product.stop() } }
        let server = product.gateway
        let jobID = try product.upload(ProductFixtures.bigBuckBunny)
        func analyze(_ extra: String, cutting: String = #"{"mode": "fixed", "seconds": 2}"#) throws -> RunningGateway.Answer {
            try server.postJSON("/api/video/analyze-duration", #"{"job_id": "\#(jobID)", "cutting": \#(cutting), \#(extra)}"#)
        }
        let platform = try analyze(#""platform": "myspace""#)
        #expect(platform.status == 400 && platform.errorMessage.contains("tiktok, reels or shorts"), "\(platform.errorMessage)")
        let aspect = try analyze(#""output": {"aspect": "2:1"}"#)
        #expect(aspect.status == 400 && aspect.errorMessage.contains("9:16"), "\(aspect.errorMessage)")
        let square = try analyze(#""output": {"aspect": "1:1", "fit": "pad"}"#)
        #expect((square.json["output"] as? [String: Any])?["width"] as? Int == 720)
        let preview = try server.postJSON("/api/jobs/\(jobID)/preview", #"{"text": "x", "at": 99}"#)
        #expect(preview.status == 400 && preview.errorMessage.contains("5.28"), "\(preview.errorMessage)")
        let padding = try analyze(#""style": {"box_padding": 5}"#)
        #expect(padding.status == 400 && padding.errorMessage.contains("style.box_padding is 0 to 2"), "\(padding.errorMessage)")
        let spacing = try analyze(#""style": {"line_spacing": 0.1}"#)
        #expect(spacing.status == 400 && spacing.errorMessage.contains("style.line_spacing"), "\(spacing.errorMessage)")
    }

    /// The font is the MediaProcessor's to have: analyze says when it has no such family (the render
    /// would quietly use its default), and says nothing for one it has.
    @Test func aFontTheProcessorLacksIsNamedBeforeTheStart() async throws {
        let product = try await RunningProduct()
        defer { Teardowns.stop { await product.stop() } }
        let server = product.gateway
        let jobID = try product.upload(ProductFixtures.bigBuckBunny)
        func fontWarnings(_ font: String) throws -> [[String: Any]] {
            let body =
                #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 2}, "text": {"mode": "single", "text": "Hello"}, "style": {"font": "\#(font)", "box_padding": 0.5, "box_radius": 0, "line_spacing": 1.2}}"#
            let answer = try server.postJSON("/api/video/analyze-duration", body)
            #expect(answer.status == 200, "\(answer.errorMessage)")
            return (answer.json["warnings"] as? [[String: Any]] ?? []).filter { $0["code"] as? String == "font_not_installed" }
        }
        let missing = try fontWarnings("Comic Sans Nowhere")
        #expect(missing.count == 1 && (missing.first?["message"] as? String)?.contains("\"Comic Sans Nowhere\"") == true, "\(missing)")
        #expect(try fontWarnings("DejaVu Serif").isEmpty)
    }
}

/// The size of a JPEG, read by ffprobe.
func jpegSize(_ data: Data, in directory: URL) throws -> (Int, Int) {
    let file = directory.appendingPathComponent("frame-\(UUID().uuidString).jpg")
    try data.write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let probe = try ChildProcess.run(["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", file.path])
    let parts = probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").compactMap { Int($0) }
    return parts.count == 2 ? (parts[0], parts[1]) : (0, 0)
}
