import CutlineContracts
public import CutlineCore
import CutlineJobStore
import CutlineRPC
import CutlineWire
public import Foundation

/// Preview frames made by the MediaProcessor's render pipeline: a started job's clip as it is (or will
/// be) rendered, or any text and look on an uploaded video before the job starts.
extension JobFlow {
    /// Preview widths a person may ask for, in pixels.
    public static let previewWidths = 64...2160

    /// Clip `clip`'s first frame (counting from 0, as `segments[].index`) with its text, style and shape,
    /// as the job was started.
    public func clipPreview(_ jobID: JobID, clip clipText: String, width: String?) async throws(JobFlowError) -> Data {
        let job = try await job(jobID)
        guard let started = job.submitted else {
            throw .conflict(
                "job \(jobID) has not been started, so its clips are not known yet; POST a text and style to /api/jobs/\(jobID)/preview instead")
        }
        guard let clip = Int(clipText), started.plan.segments.indices.contains(clip) else {
            throw .badRequest("clip is 0 to \(started.plan.count - 1) (the clip's index), not \"\(clipText)\"")
        }
        return try await preview(
            MediaPreviewRequest(
                jobID: jobID, sourceKey: started.sourceKey, seconds: started.plan.segments[clip].start, text: started.texts[clip],
                style: started.style, shape: started.shape, platform: started.platform, maxWidth: try Self.previewWidth(width)))
    }

    /// A text and look on the uploaded video at `at` seconds, before the job starts.
    public func customPreview(
        _ jobID: JobID, text: String?, look choices: (StyleChoice?, OutputChoice?, String?), at: Double?,
        width: Int?
    ) async throws(JobFlowError) -> Data {
        let (job, probe) = try await probed(jobID)
        let look = try JobLook(style: choices.0, output: choices.1, platform: choices.2)
        let at = at ?? 0
        guard at.isFinite, at >= 0, at < probe.duration else {
            throw .badRequest(String(format: "at is a moment of the video, 0 to %.2f s, not %@", probe.duration, "\(at)"))
        }
        let text = text ?? ""
        if let problem = OverlayStyle.textProblem(text) { throw .unprocessable("text_too_long", problem) }
        return try await preview(
            MediaPreviewRequest(
                jobID: jobID, sourceKey: job.sourceKey, seconds: at, text: text, style: look.style, shape: look.shape,
                platform: look.platform, maxWidth: try Self.previewWidth(width.map(String.init))))
    }

    static func previewWidth(_ text: String?) throws(JobFlowError) -> Int? {
        guard let text else { return nil }
        guard let width = Int(text), previewWidths.contains(width) else {
            throw .badRequest("width is \(previewWidths.lowerBound) to \(previewWidths.upperBound) pixels, not \"\(text)\"")
        }
        return width
    }

    private func preview(_ request: MediaPreviewRequest) async throws(JobFlowError) -> Data {
        try await call(media, MediaContract.preview, request, timeout: .seconds(30), during: .preview).jpeg
    }

    /// Whether each service behind the Gateway answers, and why not when it does not.
    public func health() async -> (media: String?, text: String?) {
        async let media = unreachable(self.media)
        async let text = unreachable(self.text)
        return (await media, await text)
    }

    private func unreachable(_ client: any RPCCaller) async -> String? {
        do {
            _ = try await client.call(SystemContract.health, HealthRequest(), timeout: .seconds(2))
            return nil
        } catch let error as RPCError {
            return error.message
        } catch {
            return "\(error)"
        }
    }
}
