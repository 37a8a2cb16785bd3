import Hummingbird
public import Logging
public import ServiceLifecycle

/// `GET /metrics` on its own address, for the services without an HTTP API of their own (the
/// MediaProcessor and the TextService, with `CUTLINE_METRICS_LISTEN`). Anything else is a 404.
public enum MetricsEndpoint {
    /// A Hummingbird application serving the exposition on `host:port`, as a `Service` for the group.
    public static func service(host: String, port: Int, logger: Logger) -> some Service {
        let router = Router()
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: Telemetry.contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(string: Telemetry.exposition())))
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "cutline-metrics"), logger: logger)
    }
}
