import Metrics
public import Prometheus

/// The process's metrics: every module records through swift-metrics (`Counter`, `Timer`, `Gauge`), and
/// this registry, bootstrapped once per process by whichever composition root runs first, holds them for
/// the Prometheus text exposition.
public enum Telemetry {
    /// The process's one registry. `MetricsSystem` can be bootstrapped only once, so tests that build
    /// several services in one process share it.
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Seconds, from a millisecond to ten minutes (a whole render).
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
            .seconds(60), .seconds(120), .seconds(300), .seconds(600),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Makes sure the registry is the metrics backend (a composition root calls it before building).
    public static func bootstrap() {
        _ = registry
    }

    /// Everything recorded so far, in Prometheus's text format (version 0.0.4).
    public static func exposition() -> String {
        registry.emitToString()
    }

    /// The content type of `exposition()`.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}
