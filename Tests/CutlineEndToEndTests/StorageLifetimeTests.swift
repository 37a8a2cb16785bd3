import CutlineCore
import CutlineGatewayApp
import CutlineJobStore
import CutlineProductTestSupport
import CutlineStorage
import CutlineTestSupport
import Foundation
import Testing

/// What is kept and for how long, with every service up: a purge removes a job's files at once, an
/// upload that never finishes is aborted after CUTLINE_UPLOAD_TTL, and a finished job's files go after
/// CUTLINE_RETENTION (the Gateway's sweeper, here every second).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct StorageLifetimeTests {
    static func objects(_ product: RunningProduct, _ jobID: String) async throws -> [String] {
        let store = product.gateway.gateway.objects
        let clips = try await store.list(prefix: "clips/\(jobID)/").map(\.key)
        let source = try await store.head(key: "uploads/\(jobID)/source").map { [$0.key] } ?? []
        return source + clips
    }

    /// `DELETE ?purge=true` on a rendering job cancels it and deletes its source, clips and thumbnails;
    /// a URL handed out before is dead; the status lists no clip and says when the files went.
    @Test func aPurgeCancelsTheJobAndDeletesItsFiles() async throws {
        let product = try await RunningProduct(environment: ["CUTLINE_SWEEP_INTERVAL": "1s"])
        defer { Teardowns.stop { await product.stop() } }
        let jobID = try product.startJob(try product.longVideo(), cutting: #"{"mode": "fixed", "seconds": 2}"#)
        try await waitFor { (try product.gateway.curl("/api/jobs/\(jobID)/status").json["clips"] as? [Any])?.count ?? 0 >= 1 }
        let before = try product.gateway.curl("/api/jobs/\(jobID)/status")
        let link = try #require((before.json["clips"] as? [[String: Any]])?.first?["url"] as? String)
        #expect(try product.gateway.curl(link).status == 200)

        let purged = try product.gateway.curl("/api/jobs/\(jobID)?purge=true", ["-X", "DELETE"])
        #expect(purged.status == 202 && purged.json["state"] as? String == "CANCELLED" && purged.json["files_deleted"] as? Bool == true)
        // A clip the stopping render stored after the purge is removed by the sweeper's next pass.
        try await waitFor { try await Self.objects(product, jobID).isEmpty }
        #expect(try product.gateway.curl(link).status == 404, "a clip URL still serves after the purge")
        let after = try product.gateway.curl("/api/jobs/\(jobID)/status", ["-H", "If-None-Match: \(before.headers["etag"] ?? "")"])
        #expect(after.status == 200, "the page's old answer (with its clip links) was confirmed with a 304")
        #expect((after.json["clips"] as? [Any])?.isEmpty == true && after.json["files_deleted_at"] is String, "\(after.json)")

        // A job that has ended is purged as it is: its state stays, and since its version does not move,
        // the answer's tag changes by itself, or a page would keep its dead links on a 304.
        let done = try product.startJob(ProductFixtures.bigBuckBunny)
        let completed = try await product.finished(done)
        #expect(completed.json["state"] as? String == "COMPLETED" && (completed.json["clips"] as? [Any])?.count == 3)
        let again = try product.gateway.curl("/api/jobs/\(done)?purge=true", ["-X", "DELETE"])
        #expect(again.status == 202 && again.json["state"] as? String == "COMPLETED")
        #expect(try await Self.objects(product, done).isEmpty)
        let revalidated = try product.gateway.curl("/api/jobs/\(done)/status", ["-H", "If-None-Match: \(completed.headers["etag"] ?? "")"])
        #expect(revalidated.status == 200 && (revalidated.json["clips"] as? [Any])?.isEmpty == true, "\(revalidated.status)")
        #expect(try product.gateway.curl("/api/jobs/\(done)?purge=maybe", ["-X", "DELETE"]).status == 400)
    }

    /// An upload left half done is aborted after CUTLINE_UPLOAD_TTL and its job fails `upload_expired`;
    /// a finished job's files are deleted after CUTLINE_RETENTION, its state kept.
    @Test func unfinishedUploadsExpireAndFinishedJobsLoseTheirFilesAfterRetention() async throws {
        let product = try await RunningProduct(environment: [
            "CUTLINE_UPLOAD_TTL": "2s", "CUTLINE_RETENTION": "3s", "CUTLINE_SWEEP_INTERVAL": "1s",
            "CUTLINE_UPLOAD_MULTIPART_THRESHOLD": "\(5 << 20)",
        ])
        defer { Teardowns.stop { await product.stop() } }
        // Half an upload: the first of its parts.
        let big = product.gateway.data.appendingPathComponent("half.mp4")
        try Data(count: 40 << 20).write(to: big)
        let initiated = try product.gateway.initiate(big)
        let abandoned = try #require(initiated.json["job_id"] as? String)
        let part = try #require(((initiated.json["upload"] as? [String: Any])?["parts"] as? [[String: Any]])?.first?["url"] as? String)
        let partSize = try #require((initiated.json["upload"] as? [String: Any])?["part_size"] as? Int)
        let partFile = product.gateway.data.appendingPathComponent("part-1")
        try Data(count: partSize).write(to: partFile)
        #expect(try product.gateway.curl(part, ["-X", "PUT", "--data-binary", "@\(partFile.path)"]).status == 200)
        let uploadID = try #require(try await product.gateway.gateway.jobs.job(try JobID(validating: abandoned))?.uploadID)

        let finished = try product.startJob(ProductFixtures.bigBuckBunny)
        #expect(try await product.finished(finished).json["state"] as? String == "COMPLETED")

        try await waitFor { try product.gateway.curl("/api/jobs/\(abandoned)/status").json["state"] as? String == "FAILED" }
        let expired = try product.gateway.curl("/api/jobs/\(abandoned)/status")
        #expect((expired.json["error"] as? [String: Any])?["code"] as? String == "upload_expired", "\(expired.json)")
        let message = (expired.json["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.contains("CUTLINE_UPLOAD_TTL"), "\(message)")
        do {
            _ = try await product.gateway.gateway.objects.listParts(key: "uploads/\(abandoned)/source", uploadID: uploadID)
            Issue.record("the abandoned upload's parts are still kept")
        } catch let error as StorageError {
            #expect(error.code == .noSuchUpload, "\(error)")
        }
        // Completing it now is refused in words, not a crash.
        let late = try product.gateway.postJSON(
            "/api/upload/complete",
            #"{"job_id": "\#(abandoned)", "cutting": {"mode": "fixed", "seconds": 2}, "text": {"mode": "single", "text": "x"}}"#)
        #expect(late.status >= 400 && late.status < 500, "\(late.status) \(late.json)")

        try await waitFor { try product.gateway.curl("/api/jobs/\(finished)/status").json["files_deleted_at"] is String }
        #expect(try await Self.objects(product, finished).isEmpty)
        let kept = try product.gateway.curl("/api/jobs/\(finished)/status")
        #expect(kept.json["state"] as? String == "COMPLETED" && (kept.json["clips"] as? [Any])?.isEmpty == true)
    }
}
