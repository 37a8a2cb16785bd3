public import CutlineCore
public import CutlineOutbox
public import Foundation

/// The status sink in DynamoDB: one item per job keyed by `job_id`, written with a conditional
/// UpdateItem so a write lands only if its version is greater than the item's (a duplicate or late
/// write is a no-op, and an item never moves back).
public struct DynamoDBStatusSink: StatusStore {
    public let client: DynamoDBClient
    public let table: String
    /// The table's hash key attribute (a string holding the job_id): `job_id` unless an existing
    /// table is keyed another way (`CUTLINE_DYNAMODB_KEY`).
    public let keyAttribute: String

    public init(client: DynamoDBClient, table: String, keyAttribute: String = "job_id") {
        self.client = client
        self.table = table
        self.keyAttribute = keyAttribute
    }

    public func createTable() async throws {
        try await client.createTable(table, hashKey: keyAttribute)
    }

    public func apply(_ write: StatusWrite) async throws -> SinkOutcome {
        if write.task != nil { return try await merge(write) }
        var sets = ["#version = :version", "#state = :state", "#attempt = :attempt", "#updated_at = :updated_at"]
        var names = ["#version": "version", "#state": "state", "#attempt": "attempt", "#updated_at": "updated_at"]
        var values: Item = [
            ":version": .int(write.version), ":state": .string(write.state.rawValue), ":attempt": .int(write.attempt),
            ":updated_at": .double(write.updatedAt.timeIntervalSince1970),
        ]
        func own(_ name: String, _ value: AttributeValue?) {
            guard let value else { return }
            sets.append("#\(name) = :\(name)")
            names["#\(name)"] = name
            values[":\(name)"] = value
        }
        own("progress", write.progress.map(Self.attribute))
        own("clips", write.clips.map { .list($0.map(Self.attribute)) })
        own("error", write.error.map { .map(["code": .string($0.code), "message": .string($0.message)]) })
        own("params", write.params.map(AttributeValue.string))
        if let created = write.createdAt {
            sets.append("#created_at = if_not_exists(#created_at, :created_at)")
            names["#created_at"] = "created_at"
            values[":created_at"] = .double(created.timeIntervalSince1970)
        }
        let applied = try await client.updateItem(
            table: table, key: [keyAttribute: .string(write.jobID.description)], update: "SET " + sets.joined(separator: ", "),
            condition: "attribute_not_exists(#version) OR #version < :version", names: names, values: values)
        return applied ? .applied : .stale
    }

    /// A merged record, written only over the version it was merged from: every merge raises the version,
    /// so a write that came between (another task's merge, a cancel) fails the condition.
    public func replace(_ record: JobStatusRecord, expecting expected: Int64?) async throws -> Bool {
        var values: Item = [
            ":version": .int(record.version), ":state": .string(record.state.rawValue), ":attempt": .int(record.attempt),
            ":clips": .list(record.clips.map(Self.attribute)), ":tasks": .list(record.tasks.map(Self.attribute)),
            ":updated_at": .double(record.updatedAt.timeIntervalSince1970),
        ]
        var names = [
            "#version": "version", "#state": "state", "#attempt": "attempt", "#clips": "clips", "#tasks": "tasks", "#updated_at": "updated_at",
        ]
        var sets = [
            "#version = :version", "#state = :state", "#attempt = :attempt", "#clips = :clips", "#tasks = :tasks", "#updated_at = :updated_at",
        ]
        if let progress = record.progress {
            sets.append("#progress = :progress")
            names["#progress"] = "progress"
            values[":progress"] = Self.attribute(progress)
        }
        if let error = record.error {
            sets.append("#error = :error")
            names["#error"] = "error"
            values[":error"] = .map(["code": .string(error.code), "message": .string(error.message)])
        }
        let condition: String
        if let expected {
            condition = "#version = :expected"
            values[":expected"] = .int(expected)
        } else {
            condition = "attribute_not_exists(#version)"
        }
        return try await client.updateItem(
            table: table, key: [keyAttribute: .string(record.jobID.description)], update: "SET " + sets.joined(separator: ", "),
            condition: condition, names: names, values: values)
    }

    /// The claim is an attribute of the job's item per task (`claim_{first_clip}`), set by one conditional
    /// UpdateItem: taken when there is none, it has expired, or it is this message's.
    public func claim(_ jobID: JobID, task firstClip: Int, _ claim: TaskClaim, now: Date) async throws -> TaskClaim? {
        let attribute = "claim_\(firstClip)"
        let key: Item = [keyAttribute: .string(jobID.description)]
        let taken = try await client.updateItem(
            table: table, key: key, update: "SET #claim = :claim",
            condition: "attribute_exists(#version) AND (attribute_not_exists(#claim) OR #claim.#until < :now OR #claim.#message = :message)",
            names: ["#claim": attribute, "#version": "version", "#until": "until", "#message": "message_id"],
            values: [
                ":claim": .map([
                    "processor": .string(claim.processor), "message_id": .string(claim.messageID),
                    "until": .double(claim.until.timeIntervalSince1970),
                ]),
                ":now": .double(now.timeIntervalSince1970), ":message": .string(claim.messageID),
            ])
        if taken { return nil }
        // Held by another message, or no record yet (nothing to claim against: the task goes ahead).
        guard let held = try await client.getItem(table: table, key: key)?[attribute]?.map else { return nil }
        return TaskClaim(
            processor: held["processor"]?.string ?? "", messageID: held["message_id"]?.string ?? "",
            until: Date(timeIntervalSince1970: held["until"]?.double ?? 0))
    }

    static func attribute(_ task: TaskStatus) -> AttributeValue {
        var fields: [String: AttributeValue] = [
            "first_clip": .int(Int64(task.firstClip)), "clip_count": .int(Int64(task.clipCount)), "state": .string(task.state.rawValue),
            "version": .int(task.version), "clips_done": .int(task.clipsDone), "frames_done": .int(task.framesDone),
            "next_clip_permille": .int(task.nextClipPermille),
        ]
        if let processor = task.processor { fields["processor"] = .string(processor) }
        return .map(fields)
    }

    static func attribute(_ progress: JobProgress) -> AttributeValue {
        .map([
            "clips_done": .int(progress.clipsDone), "clips_total": .int(progress.clipsTotal),
            "frames_done": .int(progress.framesDone), "frames_total": .int(progress.framesTotal),
        ])
    }

    /// A clip without its text (`ClipRecord.stored`): the item stays far under DynamoDB's 400 KB.
    static func attribute(_ clip: ClipRecord) -> AttributeValue {
        var fields: [String: AttributeValue] = [
            "index": .int(Int64(clip.index)), "start": .double(clip.start), "duration": .double(clip.duration),
            "key": .string(clip.key), "size": .int(clip.size),
        ]
        if let thumbnail = clip.thumbnailKey { fields["thumbnail_key"] = .string(thumbnail) }
        return .map(fields)
    }

    /// The stored record, or nil if the job is unknown. Throws `StatusRecordError` naming the
    /// attribute when the item is not a status record (a missing or unknown state, a missing version…).
    public func status(of jobID: JobID) async throws -> JobStatusRecord? {
        guard let item = try await client.getItem(table: table, key: [keyAttribute: .string(jobID.description)]) else { return nil }
        let reader = ItemReader(jobID: jobID, store: "DynamoDB table \(table)")
        let progress = try reader.optional(item, "progress") { value, path in
            let m = try reader.map(value, path)
            return JobProgress(
                clipsDone: try reader.int(m, "clips_done", path), clipsTotal: try reader.int(m, "clips_total", path),
                framesDone: try reader.int(m, "frames_done", path), framesTotal: try reader.int(m, "frames_total", path))
        }
        let clips: [ClipRecord] =
            try reader.optional(item, "clips") { value, path -> [ClipRecord] in
                guard let list = value.list else { throw reader.corrupt(path, "is not a list") }
                return try list.enumerated().map { index, value -> ClipRecord in
                    let path = "\(path)[\(index)]"
                    let m = try reader.map(value, path)
                    return ClipRecord(
                        index: Int(try reader.int(m, "index", path)), start: try reader.double(m, "start", path),
                        duration: try reader.double(m, "duration", path), text: "",
                        key: try reader.string(m, "key", path), size: try reader.int(m, "size", path),
                        thumbnailKey: try reader.optional(m, "thumbnail_key") { value, inner in
                            guard let text = value.string else { throw reader.corrupt("\(path).\(inner)", "is not a string") }
                            return text
                        })
                }
            } ?? []
        let error = try reader.optional(item, "error") { value, path in
            let m = try reader.map(value, path)
            return JobFailure(code: try reader.string(m, "code", path), message: try reader.string(m, "message", path))
        }
        let tasks: [TaskStatus] =
            try reader.optional(item, "tasks") { value, path -> [TaskStatus] in
                guard let list = value.list else { throw reader.corrupt(path, "is not a list") }
                return try list.enumerated().map { index, value -> TaskStatus in
                    let path = "\(path)[\(index)]"
                    let m = try reader.map(value, path)
                    let stateName = try reader.string(m, "state", path)
                    guard let state = JobState(rawValue: stateName) else {
                        throw reader.corrupt("\(path).state", "is \"\(stateName)\", which is not a job state")
                    }
                    return TaskStatus(
                        firstClip: Int(try reader.int(m, "first_clip", path)), clipCount: Int(try reader.int(m, "clip_count", path)), state: state,
                        version: try reader.int(m, "version", path), clipsDone: try reader.int(m, "clips_done", path),
                        framesDone: try reader.int(m, "frames_done", path), nextClipPermille: try reader.int(m, "next_clip_permille", path),
                        processor: try reader.optional(m, "processor") { value, inner in
                            guard let text = value.string else { throw reader.corrupt("\(path).\(inner)", "is not a string") }
                            return text
                        })
                }
            } ?? []
        let stateName = try reader.string(item, "state")
        guard let state = JobState(rawValue: stateName) else { throw reader.corrupt("state", "is \"\(stateName)\", which is not a job state") }
        return JobStatusRecord(
            jobID: jobID, version: try reader.int(item, "version"), state: state, attempt: try reader.int(item, "attempt"),
            progress: progress, clips: clips, error: error,
            params: try reader.optional(item, "params") { value, path in
                guard let text = value.string else { throw reader.corrupt(path, "is not a string") }
                return text
            },
            createdAt: try reader.optional(item, "created_at") { value, path in
                guard let seconds = value.double else { throw reader.corrupt(path, "is not a number") }
                return Date(timeIntervalSince1970: seconds)
            },
            updatedAt: Date(timeIntervalSince1970: try reader.double(item, "updated_at")), tasks: tasks)
    }
}

/// Reads an item's attributes strictly, naming the attribute that is missing or of the wrong type.
private struct ItemReader {
    let jobID: JobID
    let store: String

    func corrupt(_ attribute: String, _ problem: String) -> StatusRecordError {
        StatusRecordError(jobID: jobID, attribute: attribute, problem: problem, store: store)
    }

    private func name(_ parent: String?, _ key: String) -> String { parent.map { "\($0).\(key)" } ?? key }

    private func value(_ item: Item, _ key: String, _ parent: String?) throws -> AttributeValue {
        guard let value = item[key] else { throw corrupt(name(parent, key), "is missing") }
        return value
    }

    func map(_ value: AttributeValue, _ path: String) throws -> Item {
        guard let map = value.map else { throw corrupt(path, "is not a map") }
        return map
    }

    func string(_ item: Item, _ key: String, _ parent: String? = nil) throws -> String {
        guard let text = try value(item, key, parent).string else { throw corrupt(name(parent, key), "is not a string") }
        return text
    }

    func int(_ item: Item, _ key: String, _ parent: String? = nil) throws -> Int64 {
        guard let number = try value(item, key, parent).int else { throw corrupt(name(parent, key), "is not an integer") }
        return number
    }

    func double(_ item: Item, _ key: String, _ parent: String? = nil) throws -> Double {
        guard let number = try value(item, key, parent).double else { throw corrupt(name(parent, key), "is not a number") }
        return number
    }

    /// nil when absent or null (a field no write has owned yet); otherwise read by `read`.
    func optional<T>(_ item: Item, _ key: String, _ read: (AttributeValue, String) throws -> T) throws -> T? {
        guard let value = item[key], value != .null else { return nil }
        return try read(value, key)
    }
}
