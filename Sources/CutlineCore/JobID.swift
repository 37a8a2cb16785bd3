public import Foundation

/// The one identifier of a job everywhere: object keys, outbox rows, the status item, RPC messages, logs.
/// Created once by the Gateway; anything else that receives one validates it with `init(validating:)`.
public struct JobID: Sendable, Hashable, Codable, CustomStringConvertible {
    public let uuid: UUID

    /// A fresh random id; only the Gateway calls this, when an upload is initiated.
    public static func make() -> JobID { JobID(uuid: UUID()) }

    public init(uuid: UUID) {
        self.uuid = uuid
    }

    /// Accepts only the canonical 36-character UUID form, in either case.
    public init(validating text: String) throws(JobIDError) {
        guard text.utf8.count == 36, let uuid = UUID(uuidString: text) else { throw JobIDError(text: text) }
        self.uuid = uuid
    }

    /// Lower-case, as it appears in object keys and logs.
    public var description: String { uuid.uuidString.lowercased() }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(validating: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

public struct JobIDError: Error, Sendable, Hashable, CustomStringConvertible {
    public let text: String
    public var description: String {
        let shown = text.count > 64 ? String(text.prefix(64)) + "…" : text
        return "job_id \"\(shown)\" is not a well-formed UUID (expected 8-4-4-4-12 hex digits)"
    }
}
