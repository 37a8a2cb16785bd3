public import CutlineCore
public import CutlineOutbox
import Foundation

/// The status sink in DynamoDB: one item per job keyed by `job_id`, written with a conditional
/// UpdateItem so a write lands only if its version is greater than the item's (a duplicate or late
/// write is a no-op, and an item never moves back).
public struct DynamoDBStatusSink: StatusStore {
    public let client: DynamoDBClient
    public let table: String

    public init(client: DynamoDBClient, table: String) {
        self.client = client
        self.table = table
    }

    public func createTable() async throws {
        try await client.createTable(table, hashKey: "job_id")
    }

    public func apply(_ write: StatusWrite) async throws -> SinkOutcome {
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
            table: table, key: ["job_id": .string(write.jobID.description)], update: "SET " + sets.joined(separator: ", "),
            condition: "attribute_not_exists(#version) OR #version < :version", names: names, values: values)
        return applied ? .applied : .stale
    }

    static func attribute(_ progress: JobProgress) -> AttributeValue {
        .map(["clips_done": .int(progress.clipsDone), "clips_total": .int(progress.clipsTotal),
              "frames_done": .int(progress.framesDone), "frames_total": .int(progress.framesTotal)])
    }

    static func attribute(_ clip: ClipRecord) -> AttributeValue {
        .map(["index": .int(Int64(clip.index)), "start": .double(clip.start), "duration": .double(clip.duration),
              "text": .string(clip.text), "key": .string(clip.key), "size": .int(clip.size)])
    }

    /// The stored record, or nil if the job is unknown.
    public func status(of jobID: JobID) async throws -> JobStatusRecord? {
        guard let item = try await client.getItem(table: table, key: ["job_id": .string(jobID.description)]) else { return nil }
        let progress = item["progress"]?.map.map {
            JobProgress(clipsDone: $0["clips_done"]?.int ?? 0, clipsTotal: $0["clips_total"]?.int ?? 0,
                        framesDone: $0["frames_done"]?.int ?? 0, framesTotal: $0["frames_total"]?.int ?? 0)
        }
        let clips = (item["clips"]?.list ?? []).compactMap { value -> ClipRecord? in
            guard let m = value.map else { return nil }
            return ClipRecord(index: Int(m["index"]?.int ?? 0), start: m["start"]?.double ?? 0, duration: m["duration"]?.double ?? 0,
                              text: m["text"]?.string ?? "", key: m["key"]?.string ?? "", size: m["size"]?.int ?? 0)
        }
        let error = item["error"]?.map.map { JobFailure(code: $0["code"]?.string ?? "", message: $0["message"]?.string ?? "") }
        return JobStatusRecord(
            jobID: jobID, version: item["version"]?.int ?? 0, state: JobState(rawValue: item["state"]?.string ?? "") ?? .created,
            attempt: item["attempt"]?.int ?? 0, progress: progress, clips: clips, error: error, params: item["params"]?.string,
            createdAt: item["created_at"]?.double.map(Date.init(timeIntervalSince1970:)),
            updatedAt: Date(timeIntervalSince1970: item["updated_at"]?.double ?? 0))
    }
}
