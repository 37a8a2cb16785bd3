public import Foundation
public import Logging
import OTel
public import ServiceLifecycle
import Synchronization
public import Tracing

/// W3C trace context for the whole process, with swift-otel's tracer: every span has W3C ids, travels
/// as `traceparent` (HTTP headers, RPC frames, queue messages), and puts `trace_id` and `span_id` on every
/// log line made inside it. Spans are exported over OTLP/HTTP (protobuf) when the standard variable
/// `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) names a collector; every other
/// `OTEL_*` variable of the OpenTelemetry specification applies as swift-otel reads it.
public enum TraceSetup {
    private static let done = Mutex(false)

    /// Bootstraps the process's tracer the first time (nil after: one process may host several services
    /// in the tests). The service returned exports spans in batches; run it with the others.
    public static func bootstrap(serviceName: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (any Service)? {
        let first = done.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.logs.enabled = false
        // Metrics are the Prometheus exposition's (CutlineMetrics).
        configuration.metrics.enabled = false
        let exported = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"].contains { !(environment[$0] ?? "").isEmpty }
        configuration.traces.exporter = exported ? .otlp : .none
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        return backend.service
    }

    /// `trace_id`, `span_id` and `trace_flags` of the span the line is logged in, when there is one.
    public static let logMetadata: Logger.MetadataProvider = OTel.makeLoggingMetadataProvider()
}

/// The carrier a `traceparent` travels in outside HTTP: a dictionary of header names to values.
public struct TraceHeaders: Sendable {
    public var values: [String: String] = [:]

    public init(traceparent: String? = nil) {
        if let traceparent { values["traceparent"] = traceparent }
    }

    /// The current span's `traceparent`, when there is a current span (with any tracer bootstrapped).
    public static var currentTraceparent: String? {
        guard let context = ServiceContext.current else { return nil }
        var headers = TraceHeaders()
        InstrumentationSystem.instrument.inject(context, into: &headers, using: TraceHeaderCodec())
        return headers.values["traceparent"]
    }

    /// A context whose span is the remote parent `traceparent` names (the top level for nil or an invalid one).
    public static func context(traceparent: String?) -> ServiceContext {
        var context = ServiceContext.topLevel
        guard let traceparent else { return context }
        InstrumentationSystem.instrument.extract(TraceHeaders(traceparent: traceparent), into: &context, using: TraceHeaderCodec())
        return context
    }
}

struct TraceHeaderCodec: Injector, Extractor {
    func inject(_ value: String, forKey key: String, into carrier: inout TraceHeaders) { carrier.values[key] = value }
    func extract(key: String, from carrier: TraceHeaders) -> String? { carrier.values[key] }
}
