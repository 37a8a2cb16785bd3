import ArgumentParser
public import CutlineCore
public import Foundation

extension StorageLifetimes {
    /// From flags, else CUTLINE_UPLOAD_TTL, CUTLINE_RETENTION and CUTLINE_SWEEP_INTERVAL, else the defaults.
    public init(
        uploadTTL: String?, retention: String?, sweepInterval: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        func setting(_ flag: String, _ env: String, _ value: String?) -> Setting {
            Setting(flag: flag, env: env, value: value, environment: environment)
        }
        self.init(
            uploadTTL: try setting("upload-ttl", "CUTLINE_UPLOAD_TTL", uploadTTL).lifetime(default: "24h", allowsOff: false) ?? .seconds(86400),
            retention: try setting("retention", "CUTLINE_RETENTION", retention).lifetime(default: "7d", allowsOff: true),
            sweepInterval: try setting("sweep-interval", "CUTLINE_SWEEP_INTERVAL", sweepInterval).lifetime(default: "10m", allowsOff: false)
                ?? .seconds(600))
    }
}

extension Setting {
    /// A length of time written `90s`, `30m`, `24h` or `7d` (a bare number is seconds); `off` (when
    /// allowed) is nil: never.
    func lifetime(default fallback: String, allowsOff: Bool) throws -> Duration? {
        let text = (raw ?? fallback).trimmingCharacters(in: .whitespaces).lowercased()
        if allowsOff, text == "off" { return nil }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        let unit = text.last.flatMap { units[$0] }
        guard let number = Double(unit == nil ? text : String(text.dropLast())), number > 0, number * (unit ?? 1) <= 3650 * 86400 else {
            throw ValidationError(
                "\(name): \"\(raw ?? fallback)\" is not a length of time such as 90s, 30m, 24h or 7d\(allowsOff ? " (or off)" : "")")
        }
        return .milliseconds(Int64(number * (unit ?? 1) * 1000))
    }
}
