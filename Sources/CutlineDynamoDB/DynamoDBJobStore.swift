public import CutlineContracts
public import CutlineCore
public import CutlineJobStore
public import CutlineOutbox
public import CutlineSQLite
public import CutlineStorage
public import Foundation

/// The Gateway's jobs in DynamoDB, so that any Gateway answers for any job: one item per job in the
/// status table, keyed `job:{job_id}` beside the job's status item. Each change is one conditional
/// UpdateItem that also records the status write it implies (`handed_over`); the write then goes to this
/// Gateway's outbox. DynamoDB and SQLite cannot commit together, so the item keeps that write until a
/// sweep sees it in the status store: a Gateway that died in between, or lost its disk, leaves it for
/// any other Gateway to hand over again (`resendUndelivered`). Writes are versioned, so a copy is a no-op.
public struct DynamoDBJobStore: JobStore {
    public let client: DynamoDBClient
    public let table: String
    public let keyAttribute: String
    /// This Gateway's database, whose outbox delivers the status writes and queue messages.
    public let outbox: SQLiteDatabase
    /// Where a submitted job too large for an item is kept.
    public let objects: any ObjectStore
    /// Submitted jobs whose JSON is larger than this many bytes are kept in `objects` (an item holds 400 KB).
    public let inlineLimit: Int

    public init(
        client: DynamoDBClient, table: String, keyAttribute: String = "job_id", outbox: SQLiteDatabase, objects: any ObjectStore,
        inlineLimit: Int = 64 * 1024
    ) {
        self.client = client
        self.table = table
        self.keyAttribute = keyAttribute
        self.outbox = outbox
        self.objects = objects
        self.inlineLimit = inlineLimit
    }

    /// What tells a job's item from the status items in the same table.
    static let kind = "gateway_job"

    func key(_ jobID: JobID) -> Item { [keyAttribute: .string("job:\(jobID)")] }

    /// The attribute names an expression uses (`#state` for `state`, …: some are DynamoDB reserved
    /// words), exactly those, since DynamoDB refuses a name an expression does not use.
    static func names(_ expressions: String...) -> [String: String] {
        var names: [String: String] = [:]
        for expression in expressions {
            for match in expression.matches(of: /#([a-z_]+)/) { names["#\(match.1)"] = String(match.1) }
        }
        return names
    }

    // MARK: Changes

    public func create(_ job: GatewayJob) async throws {
        let params = try Self.json([
            "upload": [
                "filename": job.filename, "content_type": job.contentType, "size": "\(job.size)", "source_key": job.sourceKey,
            ]
        ])
        let write = StatusWrite(jobID: job.jobID, state: .created, params: params, createdAt: job.createdAt, updatedAt: job.createdAt)
        let written = try Self.json(write)
        var item: Item = key(job.jobID)
        item.merge(
            [
                "record": .string(Self.kind), "id": .string(job.jobID.description), "state": .string(job.state.rawValue),
                "filename": .string(job.filename), "content_type": .string(job.contentType), "size": .int(job.size),
                "source_key": .string(job.sourceKey), "attempt": .int(job.attempt),
                "created_at": .double(job.createdAt.timeIntervalSince1970), "updated_at": .double(job.createdAt.timeIntervalSince1970),
                "handed_over": Self.handedOver(written, messages: [], at: Date()),
            ], uniquingKeysWith: { first, _ in first })
        if let uploadID = job.uploadID { item["upload_id"] = .string(uploadID) }
        if let partSize = job.partSize { item["part_size"] = .int(partSize) }
        do {
            try await client.putItem(
                table: table, item: item, condition: "attribute_not_exists(#key)", names: ["#key": keyAttribute], values: nil)
        } catch let error as DynamoDBError where error.isConditionalCheckFailed {
            guard try await holds(job.jobID, written) else { throw error }
        }
        try await handOver(write, messages: [])
        JobMetrics.entered(.created)
    }

    public func uploaded(_ jobID: JobID, probe: ProbeSummary) async throws {
        let write = StatusWrite(jobID: jobID, state: .uploaded)
        let written = try Self.json(write)
        let now = AttributeValue.double(Date().timeIntervalSince1970)
        let probe = AttributeValue.string(try Self.json(probe))
        var moved = try await update(
            jobID, "SET #probe = :probe, #updated_at = :now, #state = :uploaded, #handed_over = :handed_over", condition: "#state = :created",
            [
                ":probe": probe, ":now": now, ":uploaded": .string(JobState.uploaded.rawValue), ":created": .string(JobState.created.rawValue),
                ":handed_over": Self.handedOver(written, messages: [], at: Date()),
            ])
        if !moved { moved = try await holds(jobID, written) }
        if moved {
            try await handOver(write, messages: [])
            JobMetrics.entered(.uploaded)
        } else {
            _ = try await update(jobID, "SET #probe = :probe, #updated_at = :now", condition: nil, [":probe": probe, ":now": now])
        }
    }

    public func previewed(_ jobID: JobID, seed: UInt64) async throws {
        _ = try await update(
            jobID, "SET #seed = :seed", condition: "attribute_not_exists(#submitted_at)", [":seed": .int(Int64(bitPattern: seed))])
    }

    public func queue(_ submit: SubmitRequest, params: String, messages: [QueuedMessage]) async throws -> Bool {
        let body = try Self.json(submit)
        var values: Item = [":state": .string(JobState.queued.rawValue), ":now": .double(Date().timeIntervalSince1970)]
        var sets = ["#state = :state", "#submitted_at = :now", "#updated_at = :now", "#handed_over = :handed_over"]
        var storedKey: String?
        if body.utf8.count > inlineLimit {
            let key = ObjectKeys.submitted(submit.jobID, name: UUID().uuidString.lowercased())
            try await objects.put(key: key, bytes: Array(body.utf8), contentType: "application/json")
            storedKey = key
            sets.append("#submitted_key = :submitted_key")
            values[":submitted_key"] = .string(key)
        } else {
            sets.append("#submitted = :submitted")
            values[":submitted"] = .string(body)
        }
        let write = StatusWrite(
            jobID: submit.jobID, state: .queued, attempt: submit.attempt,
            progress: JobProgress(clipsDone: 0, clipsTotal: Int64(submit.plan.count)), params: params)
        let written = try Self.json(write)
        values[":handed_over"] = Self.handedOver(written, messages: messages, at: Date())
        var queued = try await update(submit.jobID, "SET " + sets.joined(separator: ", "), condition: "attribute_not_exists(#submitted_at)", values)
        if !queued { queued = try await holds(submit.jobID, written) }
        guard queued else {
            // Another request submitted it first: what this one stored is nobody's.
            if let storedKey { try? await objects.delete(key: storedKey) }
            return false
        }
        try await handOver(write, messages: messages)
        JobMetrics.entered(.queued)
        return true
    }

    public func cancel(_ jobID: JobID, attempt: Int64) async throws {
        let write = StatusWrite(jobID: jobID, state: .cancelled, attempt: attempt)
        guard
            try await update(
                jobID, "SET #state = :state, #updated_at = :now, #handed_over = :handed_over", condition: nil,
                [
                    ":state": .string(JobState.cancelled.rawValue), ":now": .double(Date().timeIntervalSince1970),
                    ":handed_over": Self.handedOver(try Self.json(write), messages: [], at: Date()),
                ])
        else { return }
        try await handOver(write, messages: [])
        JobMetrics.entered(.cancelled)
    }

    public func filesDeleted(_ jobID: JobID, at date: Date) async throws {
        _ = try await update(
            jobID, "SET #files_deleted_at = if_not_exists(#files_deleted_at, :at), #updated_at = :at", condition: nil,
            [":at": .double(date.timeIntervalSince1970)])
    }

    public func uploadExpired(_ jobID: JobID, failure: JobFailure) async throws -> Bool {
        let write = StatusWrite(jobID: jobID, state: .failed, error: failure)
        let written = try Self.json(write)
        var expired = try await update(
            jobID, "SET #state = :failed, #updated_at = :now, #handed_over = :handed_over", condition: "#state = :created",
            [
                ":failed": .string(JobState.failed.rawValue), ":created": .string(JobState.created.rawValue),
                ":now": .double(Date().timeIntervalSince1970), ":handed_over": Self.handedOver(written, messages: [], at: Date()),
            ])
        if !expired { expired = try await holds(jobID, written) }
        guard expired else { return false }
        try await handOver(write, messages: [])
        JobMetrics.entered(.failed)
        return true
    }

    /// One conditional UpdateItem on the job's item (which must exist); false when the condition failed.
    private func update(_ jobID: JobID, _ expression: String, condition: String?, _ values: Item) async throws -> Bool {
        let condition = ["attribute_exists(#record)", condition].compactMap { $0 }.joined(separator: " AND ")
        return try await client.updateItem(
            table: table, key: key(jobID), update: expression, condition: condition, names: Self.names(expression, condition), values: values)
    }

    /// Puts the write (and the messages that go with it) in this Gateway's outbox, in one transaction.
    private func handOver(_ write: StatusWrite, messages: [QueuedMessage]) async throws {
        try await outbox.write { connection in
            try Outbox.enqueue(write, on: connection)
            for message in messages { try Outbox.enqueue(message, version: write.version, on: connection) }
        }
    }

    static func handedOver(_ write: String, messages: [QueuedMessage], at date: Date) -> AttributeValue {
        .map(["write": .string(write), "messages": .list(messages.map { .string($0.body) }), "at": .double(date.timeIntervalSince1970)])
    }

    /// Whether the item holds `write` as the one handed over: a conditional write whose answer was lost
    /// (the HTTP client retries) fails its condition on the retry, though it was applied.
    private func holds(_ jobID: JobID, _ write: String) async throws -> Bool {
        try await client.getItem(table: table, key: key(jobID))?["handed_over"]?.map?["write"]?.string == write
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    // MARK: Reading

    public func job(_ jobID: JobID) async throws -> GatewayJob? {
        guard let item = try await client.getItem(table: table, key: key(jobID)) else { return nil }
        return try await job(item)
    }

    public func recent(limit: Int) async throws -> [GatewayJob] {
        let items = try await scan(nil, [:])
        // Newest first; one instant's jobs by id, as the SQLite store lists them.
        let sorted = items.sorted { a, b in
            let (at, bt) = (a["created_at"]?.double ?? 0, b["created_at"]?.double ?? 0)
            return at != bt ? at > bt : a.id < b.id
        }
        return try await jobs(sorted.prefix(limit))
    }

    public func unfinishedUploads(createdBefore date: Date, limit: Int) async throws -> [GatewayJob] {
        let items = try await scan(
            "#state = :created AND #created_at < :date",
            [":created": .string(JobState.created.rawValue), ":date": .double(date.timeIntervalSince1970)])
        return try await jobs(items.sorted { ($0["created_at"]?.double ?? 0) < ($1["created_at"]?.double ?? 0) }.prefix(limit))
    }

    public func withFiles(createdBefore date: Date, limit: Int) async throws -> [GatewayJob] {
        let items = try await scan(
            "attribute_not_exists(#files_deleted_at) AND #created_at < :date", [":date": .double(date.timeIntervalSince1970)])
        return try await jobs(items.sorted { ($0["created_at"]?.double ?? 0) < ($1["created_at"]?.double ?? 0) }.prefix(limit))
    }

    public func filesDeleted(after date: Date, limit: Int) async throws -> [GatewayJob] {
        let items = try await scan("#files_deleted_at > :date", [":date": .double(date.timeIntervalSince1970)])
        return try await jobs(items.sorted { ($0["files_deleted_at"]?.double ?? 0) < ($1["files_deleted_at"]?.double ?? 0) }.prefix(limit))
    }

    public func resendUndelivered(handedOverBefore date: Date, status: any StatusStore) async throws -> ResentWrites {
        var result = ResentWrites()
        for item in try await scan("#handed_over.#at < :date", [":date": .double(date.timeIntervalSince1970)]) {
            // One item that cannot be read is reported and passed over; it does not hold up the others.
            do {
                if let jobID = try await resend(item, status: status) { result.jobs.append(jobID) }
            } catch {
                result.problems.append("job item \(item.id): \(error)")
            }
        }
        return result
    }

    private func resend(_ item: Item, status: any StatusStore) async throws -> JobID? {
        let reader = JobItemReader(item: item)
        let jobID = try reader.jobID()
        guard let handed = item["handed_over"]?.map, let at = handed["at"] else { return nil }
        guard let write = try reader.decode(StatusWrite.self, handed["write"]?.string, "handed_over.write") else {
            throw reader.corrupt("handed_over.write", "missing")
        }
        let messages = (handed["messages"]?.list ?? []).compactMap(\.string).map { QueuedMessage(jobID: jobID, body: $0) }
        // A write is delivered once the store shows it (or a later one). Its messages go after it, so a
        // store showing the write itself does not show they went: they are sent again until a processor
        // writes past it (a copy of a task is not rendered twice).
        if let shown = try await status.version(of: jobID), messages.isEmpty ? shown >= write.version : shown > write.version {
            _ = try await update(jobID, "REMOVE #handed_over", condition: "#handed_over.#at = :at", [":at": at])
            return nil
        }
        // Marked first: a Gateway that dies after it leaves the write for a later sweep, not lost.
        guard
            try await update(
                jobID, "SET #handed_over.#at = :now", condition: "#handed_over.#at = :at", [":at": at, ":now": .double(Date().timeIntervalSince1970)])
        else { return nil }
        try await handOver(write, messages: messages)
        return jobID
    }

    /// The job items that `filter` keeps (all of them for nil).
    private func scan(_ filter: String?, _ values: Item) async throws -> [Item] {
        let filter = ["#record = :record", filter].compactMap { $0 }.joined(separator: " AND ")
        return try await client.scan(
            table: table, filter: filter, names: Self.names(filter), values: values.merging([":record": .string(Self.kind)]) { first, _ in first })
    }

    private func jobs(_ items: some Sequence<Item>) async throws -> [GatewayJob] {
        var jobs: [GatewayJob] = []
        for item in items { jobs.append(try await job(item)) }
        return jobs
    }

    private func job(_ item: Item) async throws -> GatewayJob {
        let reader = JobItemReader(item: item)
        let jobID = try reader.jobID()
        let stateName = try reader.string("state")
        guard let state = JobState(rawValue: stateName) else { throw reader.corrupt("state", "\"\(stateName)\", not a job state") }
        var job = GatewayJob(
            jobID: jobID, state: state, filename: try reader.string("filename"), contentType: try reader.string("content_type"),
            size: try reader.int("size"), sourceKey: try reader.string("source_key"), uploadID: item["upload_id"]?.string,
            partSize: item["part_size"]?.int, createdAt: Date(timeIntervalSince1970: try reader.double("created_at")))
        job.probe = try reader.decode(ProbeSummary.self, item["probe"]?.string, "probe")
        if let inline = item["submitted"]?.string {
            job.submitted = try reader.decode(SubmitRequest.self, inline, "submitted")
        } else if let key = item["submitted_key"]?.string {
            let bytes: [UInt8]
            do {
                bytes = try await objects.get(key: key, range: nil)
            } catch {
                throw reader.corrupt("submitted_key", "\(key), which cannot be read (\(error))")
            }
            job.submitted = try reader.decode(SubmitRequest.self, String(decoding: bytes, as: UTF8.self), "submitted_key")
        }
        job.attempt = try reader.int("attempt")
        job.seed = item["seed"]?.int.map { UInt64(bitPattern: $0) }
        job.filesDeletedAt = item["files_deleted_at"]?.double.map(Date.init(timeIntervalSince1970:))
        return job
    }
}

extension Item {
    fileprivate var id: String { self["id"]?.string ?? "" }
}

/// Reads a job item strictly: what is missing or malformed is a `StoredJobError` naming the attribute.
private struct JobItemReader {
    let item: Item

    func corrupt(_ attribute: String, _ problem: String) -> StoredJobError {
        StoredJobError(jobID: item.id, column: attribute, problem: problem)
    }

    func jobID() throws -> JobID {
        guard let id = try? JobID(validating: item.id) else { throw corrupt("id", "\"\(item.id)\", not a job id") }
        return id
    }

    func string(_ name: String) throws -> String {
        guard let value = item[name]?.string else { throw corrupt(name, "missing or not a string") }
        return value
    }

    func int(_ name: String) throws -> Int64 {
        guard let value = item[name]?.int else { throw corrupt(name, "missing or not an integer") }
        return value
    }

    func double(_ name: String) throws -> Double {
        guard let value = item[name]?.double else { throw corrupt(name, "missing or not a number") }
        return value
    }

    func decode<T: Decodable>(_ type: T.Type, _ text: String?, _ name: String) throws -> T? {
        guard let text else { return nil }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970
            return try decoder.decode(T.self, from: Data(text.utf8))
        } catch {
            throw corrupt(name, "not a valid \(T.self) (\(error))")
        }
    }
}
