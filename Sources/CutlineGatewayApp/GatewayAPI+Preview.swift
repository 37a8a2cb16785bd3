import CutlineContracts
import CutlineCore
import CutlineRPC
import CutlineWire
import Foundation
import Hummingbird

/// Preview frames made by the MediaProcessor's render pipeline: a started job's clip as it is (or will
/// be) rendered, or any text and look on an uploaded video before the job starts.
extension GatewayAPI {
    struct PreviewRequestBody: Decodable {
        let text: String?
        let style: Style?
        let output: Output?
        let platform: String?
        /// Seconds from the start of the video (default: the first frame).
        let at: Double?
        let width: Int?
    }

    /// `GET /api/jobs/{job_id}/preview?clip=N[&width=W]`: clip N's first frame (N counts from 0, as
    /// `segments[].index`) with its text, style and shape, as the job was started.
    func clipPreview(_ jobID: JobID, request: Request) async throws -> Response {
        guard let job = try await jobs.job(jobID) else { throw APIError.notFound("no job \(jobID)") }
        guard let submitted = job.submitted, let started = try? JSONDecoder().decode(SubmitRequest.self, from: Data(submitted.utf8)) else {
            throw APIError.conflict("job \(jobID) has not been started, so its clips are not known yet; POST a text and style to /api/jobs/\(jobID)/preview instead")
        }
        let clipText = request.uri.queryParameters.get("clip") ?? "0"
        guard let clip = Int(clipText), started.plan.segments.indices.contains(clip) else {
            throw APIError.badRequest("clip is 0 to \(started.plan.count - 1) (the clip's index), not \"\(clipText)\"")
        }
        let width = try Self.previewWidth(request.uri.queryParameters.get("width").map { String($0) })
        return try await preview(MediaPreviewRequest(
            jobID: jobID, sourceKey: started.sourceKey, seconds: started.plan.segments[clip].start, text: started.texts[clip],
            style: started.style, shape: started.shape, platform: started.platform, maxWidth: width))
    }

    /// `POST /api/jobs/{job_id}/preview`: a text and look on the uploaded video, before the job starts.
    func customPreview(_ jobID: JobID, request: Request) async throws -> Response {
        let body = try await JSONBody.decode(PreviewRequestBody.self, from: request, limit: 64 << 10)
        let (job, probe) = try await probed(jobID)
        let look = try Look(style: body.style, output: body.output, platform: body.platform)
        let at = body.at ?? 0
        guard at.isFinite, at >= 0, at < probe.duration else {
            throw APIError.badRequest(String(format: "at is a moment of the video, 0 to %.2f s, not %@", probe.duration, "\(at)"))
        }
        let text = body.text ?? ""
        guard text.count <= 1000 else { throw APIError(.unprocessableContent, "text_too_long", "the text has \(text.count) characters; at most 1000 fit on a clip") }
        return try await preview(MediaPreviewRequest(
            jobID: jobID, sourceKey: job.sourceKey, seconds: at, text: text, style: look.style, shape: look.shape,
            platform: look.platform, maxWidth: try Self.previewWidth(body.width.map(String.init))))
    }

    static func previewWidth(_ text: String?) throws -> Int? {
        guard let text else { return nil }
        guard let width = Int(text), (64...2160).contains(width) else { throw APIError.badRequest("width is 64 to 2160 pixels, not \"\(text)\"") }
        return width
    }

    private func preview(_ request: MediaPreviewRequest) async throws -> Response {
        let answer: MediaPreviewResponse
        do {
            answer = try await media.call(MediaContract.preview, request, timeout: .seconds(30))
        } catch let error as RPCError {
            switch error.code {
            case .badRequest: throw APIError(.unprocessableContent, "bad_preview", error.message)
            case .notFound: throw APIError.conflict(error.message)
            default: throw APIError(.serviceUnavailable, "media_unavailable", "the MediaProcessor could not make the preview (\(error.message)); try again shortly")
            }
        }
        return Response(status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: answer.jpeg)))
    }
}
