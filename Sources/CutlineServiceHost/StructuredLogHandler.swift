import Foundation
public import Logging

public enum LogFormat: String, Sendable {
    case logfmt, json
}

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

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        let timestamp = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        var line: String
        switch format {
        case .logfmt:
            line = "ts=\(timestamp) level=\(event.level) logger=\(Self.logfmt(label)) msg=\(Self.logfmt(event.message.description))"
            for key in fields.keys.sorted() {
                line += " \(key)=\(Self.logfmt(fields[key]!.description))"
            }
        case .json:
            line = "{\"ts\":\(Self.json(timestamp)),\"level\":\"\(event.level)\",\"logger\":\(Self.json(label)),\"msg\":\(Self.json(event.message.description))"
            for key in fields.keys.sorted() {
                line += ",\(Self.json(key)):\(Self.json(fields[key]!.description))"
            }
            line += "}"
        }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
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
    public static func bootstrap(format: LogFormat, level: String) {
        let parsed = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, format: format, level: parsed) }
    }
}
