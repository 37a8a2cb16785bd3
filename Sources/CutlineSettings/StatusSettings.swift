public import ArgumentParser
public import Foundation

/// Where job status is kept, for the services and the CLI alike.
public struct StatusOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("dynamodb-table"),
        help:
            "Keep job status in this DynamoDB table (with the standard AWS variables). Env CUTLINE_DYNAMODB_TABLE. Unset: the embedded table DATA_DIR/status.sqlite."
    )
    public var dynamodbTable: String?

    @Option(name: .customLong("dynamodb-key"), help: "The table's hash key attribute (a string). Env CUTLINE_DYNAMODB_KEY, default job_id.")
    public var dynamodbKey: String?

    public init() {}
}

/// The resolved status-store choice, a plain value: `CutlineAdapters` makes the store it names.
public enum StatusSettings: Sendable, Hashable {
    case dynamoDB(table: String, keyAttribute: String, environment: [String: String])
    /// The embedded table, one SQLite file that every service's relay writes and the Gateway reads.
    case embedded(path: String)

    /// The attributes the status items and the Gateway's job items in the table use (CutlineDynamoDB),
    /// besides `claim_{first_clip}`: a key attribute of one of these names would overwrite it.
    static let recordAttributes: Set<String> = [
        "version", "state", "attempt", "progress", "clips", "error", "params", "created_at", "updated_at", "tasks", "record", "id",
        "filename", "content_type", "size", "source_key", "upload_id", "part_size", "probe", "submitted", "submitted_key", "submitted_at",
        "seed", "files_deleted_at", "handed_over",
    ]

    public init(_ options: StatusOptions, common: ResolvedCommon, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        try self.init(dynamodbTable: options.dynamodbTable, dynamodbKey: options.dynamodbKey, common: common, environment: environment)
    }

    /// From flag values (nil: not given), the environment, and the defaults.
    public init(
        dynamodbTable: String?, dynamodbKey: String?, common: ResolvedCommon, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        let table = Setting(flag: "dynamodb-table", env: "CUTLINE_DYNAMODB_TABLE", value: dynamodbTable, environment: environment)
        let key = Setting(flag: "dynamodb-key", env: "CUTLINE_DYNAMODB_KEY", value: dynamodbKey, environment: environment)
        guard let name = table.raw else {
            self = .embedded(path: "\(common.dataDirectory)/status.sqlite")
            return
        }
        // DynamoDB's rules for table and attribute names.
        guard (3...255).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }) else {
            throw ValidationError("\(table.name): \"\(name)\" is not a DynamoDB table name (3–255 of a–z, A–Z, 0–9, '_', '-', '.')")
        }
        let attribute = key.string(default: "job_id")
        guard (1...255).contains(attribute.utf8.count) else { throw ValidationError("\(key.name): an attribute name is 1–255 bytes") }
        guard !Self.recordAttributes.contains(attribute), !attribute.hasPrefix("claim_") else {
            throw ValidationError(
                "\(key.name): \"\(attribute)\" is an attribute of Cutline's own records in the table; name the key attribute otherwise (job_id by default)"
            )
        }
        self = .dynamoDB(table: name, keyAttribute: attribute, environment: awsVariables(environment))
    }
}
