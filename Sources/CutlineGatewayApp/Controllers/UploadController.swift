import CutlineCore
import CutlineJobFlow
import CutlineJobStore
import CutlineStorage
import Foundation
import Hummingbird

/// `POST /api/upload/initiate` and `GET /api/upload/{job_id}/parts`: a job is created with the signed
/// URLs its file goes to, straight from the browser to storage; a multipart upload can be resumed.
struct UploadController {
    let flow: JobFlow

    var endpoints: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.post("upload/initiate", use: initiate)
        routes.get("upload/{job_id}/parts", use: parts)
        return routes
    }

    struct InitiateRequest: Decodable {
        let filename: String
        let contentType: String
        let size: Int64
    }

    struct Part: Encodable {
        let number: Int
        let url: String
    }

    struct UploadTarget: Encodable {
        let kind: String
        let method: String
        let url: String?
        let partSize: Int64?
        let parts: [Part]?
        let headers: [String: String]
    }

    struct InitiateResponse: ResponseEncodable {
        let jobId: String
        let expiresAt: Date
        let upload: UploadTarget
    }

    @Sendable func initiate(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<InitiateResponse> {
        let body = try await request.decode(as: InitiateRequest.self, context: context)
        let made = try await flow.initiate(filename: body.filename, contentType: body.contentType, size: body.size)
        let target =
            switch made.target {
            case .single(let url, let headers):
                UploadTarget(kind: "single", method: "PUT", url: url.absoluteString, partSize: nil, parts: nil, headers: headers)
            case .multipart(let partSize, let parts):
                UploadTarget(
                    kind: "multipart", method: "PUT", url: nil, partSize: partSize,
                    parts: parts.map { Part(number: $0.number, url: $0.url.absoluteString) }, headers: [:])
            }
        return EditedResponse(
            status: .created, response: InitiateResponse(jobId: made.job.jobID.description, expiresAt: made.expiresAt, upload: target))
    }

    struct PartsResponse: ResponseEncodable {
        struct Stored: Encodable {
            let number: Int
            let size: Int64
        }
        let jobId: String
        let partSize: Int64
        let partsTotal: Int
        let done: [Stored]
        let parts: [Part]
        let expiresAt: Date
    }

    @Sendable func parts(_ request: Request, context: APIRequestContext) async throws -> PartsResponse {
        let left = try await flow.partsLeft(try context.jobID())
        return PartsResponse(
            jobId: left.job.jobID.description, partSize: left.partSize, partsTotal: left.partsTotal,
            done: left.done.map { .init(number: $0.number, size: $0.size) },
            parts: left.missing.map { Part(number: $0.number, url: $0.url.absoluteString) }, expiresAt: left.expiresAt)
    }
}

extension APIRequestContext {
    /// The `{job_id}` of the route, checked.
    func jobID() throws -> JobID {
        let text = parameters.get("job_id") ?? ""
        do {
            return try JobID(validating: text)
        } catch {
            throw APIError.badRequest("\"\(text)\" is not a job id (a UUID such as 3f1c2a4e-9b7d-4c55-8a10-2e6f4b1d0c93)")
        }
    }
}

/// A job id given in a body.
func jobID(_ text: String) throws -> JobID {
    do {
        return try JobID(validating: text)
    } catch {
        throw APIError.badRequest("job_id \"\(text)\" is not a job id (a UUID)")
    }
}
