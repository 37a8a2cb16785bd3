import CutlineCore
public import CutlineSettings
import CutlineTracing
import Foundation
public import Logging

/// One line per event on standard error, as logfmt (`ts=… level=info msg="…" job_id=…`) or JSON, with
/// every metadata key as a field so `job_id` can be grepped across services.
public struct StructuredLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: LogFormat

    public init(label: String, format: LogFormat, level: Logger.Level) {
        self.label = label
        self.format = format
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public init(label: String, format: LogFormat, level: Logger.Level, metadataProvider: Logger.MetadataProvider?) {
        self.init(label: label, format: format, level: level)
        self.metadataProvider = metadataProvider
    }

    public func log(event: LogEvent) {
        FileHandle.standardError.write(Data((line(level: event.level, message: event.message, metadata: event.metadata) + "\n").utf8))
    }

    /// The line an event becomes: the handler's metadata, then the provider's (`job_id`), then the event's.
    public func line(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?) -> String {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let extra { fields.merge(extra) { _, new in new } }
        let timestamp = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        var line: String
        switch format {
        case .logfmt:
            line = "ts=\(timestamp) level=\(level) logger=\(Self.logfmt(label)) msg=\(Self.logfmt(message.description))"
            for key in fields.keys.sorted() {
                line += " \(key)=\(Self.logfmt(fields[key]!.description))"
            }
        case .json:
            line = "{\"ts\":\(Self.json(timestamp)),\"level\":\"\(level)\",\"logger\":\(Self.json(label)),\"msg\":\(Self.json(message.description))"
            for key in fields.keys.sorted() {
                line += ",\(Self.json(key)):\(Self.json(fields[key]!.description))"
            }
            line += "}"
        }
        return line
    }

    static func logfmt(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0.isNewline }
        guard needsQuotes else { return value }
        return json(value)
    }

    static func json(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

public enum LogSetup {
    /// Installs the structured handler for the whole process; executables call this once at start.
    /// Every line logged inside a job's work (`JobContext.$jobID.withValue`) carries its `job_id`, and
    /// every line inside a span its `trace_id` and `span_id`, from whichever library logs it.
    public static func bootstrap(format: LogFormat, level: String) {
        let parsed = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap(
            { label, provider in
                StructuredLogHandler(label: label, format: format, level: parsed, metadataProvider: provider)
            }, metadataProvider: .multiplex([jobMetadata, TraceSetup.logMetadata]))
    }

    /// `job_id` from the task-local job context, when there is one.
    public static let jobMetadata = Logger.MetadataProvider {
        guard let jobID = JobContext.jobID else { return [:] }
        return ["job_id": "\(jobID)"]
    }
}
