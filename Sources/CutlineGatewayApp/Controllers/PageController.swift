import Crypto
import Foundation
import Hummingbird

/// The page, served from the files built into the Gateway (`Web/`): `/` and `/jobs/{job_id}` are the
/// page itself (a job's view has its own URL), `/static/…` its modules and style. Every answer carries
/// an ETag from the file's content, so a browser revalidates with a 304 instead of downloading again.
struct PageController: Sendable {
    struct File: Sendable {
        let body: ByteBuffer
        let contentType: String
        let etag: String
    }

    let files: [String: File]

    /// Every file of `Web/` (the page's modules import each other by name), keyed by its name.
    init() {
        var files: [String: File] = [:]
        let types = ["html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"]
        let folder = Bundle.module.resourceURL?.appendingPathComponent("Web")
        let names = folder.flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0.path) } ?? []
        for name in names {
            guard let folder, let type = types[(name as NSString).pathExtension],
                let data = try? Data(contentsOf: folder.appendingPathComponent(name))
            else { continue }
            let digest = SHA256.hash(data: data).prefix(12).map { String(format: "%02x", $0) }.joined()
            files[name] = File(body: ByteBuffer(bytes: data), contentType: type, etag: "\"\(digest)\"")
        }
        self.files = files
    }

    var endpoints: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.get("/") { request, _ in try serve("index.html", request) }
        routes.get("jobs/{job_id}") { request, _ in try serve("index.html", request) }
        routes.get("static/{name}") { request, context in try serve(context.parameters.get("name") ?? "", request) }
        return routes
    }

    func serve(_ name: String, _ request: Request) throws -> Response {
        guard let file = files[name] else {
            throw APIError.notFound(
                name == "index.html" ? "this Gateway was built without its page (Web/index.html)" : "no such file: /static/\(name)")
        }
        var headers: HTTPFields = [.eTag: file.etag, .cacheControl: "no-cache", .contentType: file.contentType]
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        if request.headers[.ifNoneMatch] == file.etag {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: file.body))
    }
}
