public import CutlineCore
public import CutlineSQLite
import Foundation

/// A job row that cannot be read back: which job, which column, and what is wrong. Corruption is
/// reported (a 500 naming it, a log line), never read as "no such job".
public struct StoredJobError: Error, Sendable, CustomStringConvertible {
    public let jobID: String
    public let column: String
    public let problem: String

    public init(jobID: String, column: String, problem: String) {
        self.jobID = jobID
        self.column = column
        self.problem = problem
    }

    public var description: String { "the stored job \(jobID) cannot be read: its \(column) column is \(problem)" }
}

/// JSON kept in a job row: sorted keys (so equal values are equal text), decoded into typed values.
enum StoredJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func text(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String?, jobID: String, column: String) throws -> T? {
        guard let text else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw StoredJobError(jobID: jobID, column: column, problem: "not a valid \(T.self) (\(error))")
        }
    }
}

extension JobState {
    /// The state as SQL stores it (its contract name, e.g. `QUEUED`), bound as a value, never spelled in a query.
    public var sqlValue: SQLiteValue { .text(rawValue) }
}
