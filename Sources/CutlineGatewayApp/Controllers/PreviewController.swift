import CutlineJobFlow
import Foundation
import Hummingbird
import NIOCore

/// A clip's frame as JPEG: `GET /api/jobs/{job_id}/preview?clip=N[&width=W]` for a started job's clip
/// as it is rendered, `POST /api/jobs/{job_id}/preview` for any text and look before the job starts.
struct PreviewController {
    let flow: JobFlow

    var endpoints: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.get("jobs/{job_id}/preview", use: clip)
        routes.group().add(middleware: BodyLimit(bytes: 64 << 10)).post("jobs/{job_id}/preview", use: custom)
        return routes
    }

    struct PreviewRequest: Decodable {
        let text: String?
        let style: StyleChoice?
        let output: OutputChoice?
        let platform: String?
        /// Seconds from the start of the video (default: the first frame).
        let at: Double?
        let width: Int?
    }

    @Sendable func clip(_ request: Request, context: APIRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let clip = query.get("clip").map { String($0) } ?? "0"
        let width = query.get("width").map { String($0) }
        return Self.jpeg(try await flow.clipPreview(try context.jobID(), clip: clip, width: width))
    }

    @Sendable func custom(_ request: Request, context: APIRequestContext) async throws -> Response {
        let body = try await request.decode(as: PreviewRequest.self, context: context)
        return Self.jpeg(
            try await flow.customPreview(
                try context.jobID(), text: body.text, look: (body.style, body.output, body.platform),
                at: body.at, width: body.width))
    }

    static func jpeg(_ data: Data) -> Response {
        Response(status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
