import CutlineMetrics
import Hummingbird
import NIOCore

/// `GET /metrics`: everything this Gateway process recorded, in Prometheus's text format. With
/// `CUTLINE_API_TOKEN` set it needs the token too (Prometheus sends it with `authorization: credentials`).
struct MetricsController {
    var endpoints: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.get { _, _ in
            Response(
                status: .ok, headers: [.contentType: Telemetry.contentType, .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: Telemetry.exposition())))
        }
        return routes
    }
}
