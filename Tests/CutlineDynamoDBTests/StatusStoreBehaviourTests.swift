import CutlineAWS
import CutlineCore
import CutlineDynamoDB
import CutlineHTTP
import CutlineOutbox
import CutlineSQLite
import CutlineStatusStore
import CutlineTestSupport
import Foundation
import Logging
import Testing

/// The two status stores behind one set of behaviours: the embedded SQLite table and DynamoDB.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, dynamodb
    var testDescription: String { rawValue }
}

final class StoreFixture: @unchecked Sendable {
    let store: any StatusStore
    /// Writes a raw attribute (or column) over what the store holds for a job, as a broken or foreign
    /// writer could.
    let overwrite: (_ job: JobID, _ attribute: String, _ value: String) async throws -> Void
    private let cleanup: () -> Void

    init(_ kind: StoreKind) async throws {
        switch kind {
        case .sqlite:
            let directory = try TestEnvironment.temporaryDirectory("status")
            let sqlite = try SQLiteStatusStore(path: directory.appendingPathComponent("status.sqlite").path)
            store = sqlite
            overwrite = { job, column, value in
                try await sqlite.database.write {
                    try $0.execute("UPDATE job_status SET \(column) = ? WHERE job_id = ?", [.text(value), .text(job.description)])
                }
            }
            cleanup = { try? FileManager.default.removeItem(at: directory) }
        case .dynamodb:
            let moto = try MotoServer()
            let http = try HTTPClient()
            let sink = DynamoDBStatusSink(client: try DynamoDBClient(environment: moto.environment, http: http), table: "cutline-jobs")
            try await sink.createTable()
            store = sink
            overwrite = { job, attribute, value in
                _ = try await sink.client.updateItem(
                    table: sink.table, key: ["job_id": .string(job.description)], update: "SET #a = :v",
                    condition: nil, names: ["#a": attribute], values: [":v": .string(value)])
            }
            cleanup = {
                http.shutdown()
                moto.stop()
            }
        }
    }

    deinit { cleanup() }
}

@Suite(.serialized, .timeLimit(.minutes(3)))
struct StatusStoreBehaviourTests {
    @Test(arguments: StoreKind.allCases)
    func writeIsStoredWithEveryField(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let job = JobID.make()
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(try await fixture.store.apply(StatusWrite(jobID: job, state: .created, params: #"{"every":10}"#, createdAt: created)) == .applied)
        let clips = [ClipRecord(index: 0, start: 0, duration: 10.5, text: "Grüße 🎬", key: "clips/\(job)/000.mp4", size: 12345)]
        #expect(
            try await fixture.store.apply(
                StatusWrite(
                    jobID: job, state: .processing, clipsDone: 1,
                    progress: JobProgress(clipsDone: 1, clipsTotal: 3, framesDone: 250, framesTotal: 750),
                    clips: clips)) == .applied)
        let status = try #require(try await fixture.store.status(of: job))
        #expect(status.state == .processing)
        #expect(status.version == StatusVersion(attempt: 1, state: .processing, clipsDone: 1).value)
        #expect(status.progress == JobProgress(clipsDone: 1, clipsTotal: 3, framesDone: 250, framesTotal: 750))
        #expect(status.clips == clips.map(\.stored), "every field of the clips but their text (the job's)")
        #expect(status.clips.first?.text == "")
        #expect(status.params == #"{"every":10}"#, "fields a write does not own are kept")
        #expect(status.createdAt == created)
    }

    @Test(arguments: StoreKind.allCases)
    func staleAndDuplicateWritesChangeNothing(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let job = JobID.make()
        let later = StatusWrite(jobID: job, state: .processing, clipsDone: 5)
        #expect(try await fixture.store.apply(later) == .applied)
        #expect(try await fixture.store.apply(later) == .stale)
        #expect(try await fixture.store.apply(StatusWrite(jobID: job, state: .queued)) == .stale)
        #expect(try await fixture.store.apply(StatusWrite(jobID: job, state: .processing, clipsDone: 4)) == .stale)
        #expect(try await fixture.store.status(of: job)?.version == later.version)
    }

    @Test(arguments: StoreKind.allCases)
    func firstTerminalStateWins(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let job = JobID.make()
        #expect(try await fixture.store.apply(StatusWrite(jobID: job, state: .cancelled)) == .applied)
        #expect(try await fixture.store.apply(StatusWrite(jobID: job, state: .completed)) == .stale)
        #expect(try await fixture.store.status(of: job)?.state == .cancelled)
    }

    @Test(arguments: StoreKind.allCases)
    func unknownJobHasNoStatus(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        #expect(try await fixture.store.status(of: .make()) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func relayDrainsManyJobsToTheirLastVersion(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let directory = try TestEnvironment.temporaryDirectory("relay")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try SQLiteDatabase(path: directory.appendingPathComponent("service.sqlite").path, migrations: Outbox.migrations)
        let store = OutboxStore(database: database)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let relay = OutboxRelay(store: store, sink: fixture.store, logger: logger)
        let jobs = (0..<10).map { _ in JobID.make() }
        try await database.write { connection in
            for clip in 0..<5 {
                for job in jobs { try Outbox.enqueue(StatusWrite(jobID: job, state: .processing, clipsDone: Int64(clip)), on: connection) }
            }
        }
        for _ in 0..<100 where try await store.stats().pending > 0 { try await relay.deliverOnce() }
        #expect(try await store.stats().pending == 0)
        for job in jobs {
            #expect(try await fixture.store.status(of: job)?.version == StatusVersion(attempt: 1, state: .processing, clipsDone: 4).value)
        }
    }

    /// A record that is not one (here: a state no version of Cutline writes) is an error naming the
    /// job and the attribute, never read as CREATED.
    @Test(arguments: StoreKind.allCases)
    func corruptStateIsAnErrorNamingTheJobAndTheAttribute(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let job = JobID.make()
        _ = try await fixture.store.apply(StatusWrite(jobID: job, state: .processing, clipsDone: 2))
        try await fixture.overwrite(job, "state", "EXPLODED")
        do {
            _ = try await fixture.store.status(of: job)
            Issue.record("a record with an unknown state was read")
        } catch let error as StatusRecordError {
            #expect(error.jobID == job && error.attribute == "state")
            #expect(error.description.contains(job.description) && error.description.contains("EXPLODED"))
        }
    }
}

@Suite(.serialized, .timeLimit(.minutes(2)))
struct DynamoDBCorruptItemTests {
    /// Items another writer left without what a status record must have.
    @Test(arguments: [("state", "is missing"), ("version", "is missing"), ("updated_at", "is missing")])
    func missingAttributeIsNamed(attribute: String, problem: String) async throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let http = try HTTPClient()
        defer { http.shutdown() }
        let sink = DynamoDBStatusSink(client: try DynamoDBClient(environment: moto.environment, http: http), table: "cutline-jobs")
        try await sink.createTable()
        let job = JobID.make()
        var item: Item = [
            "job_id": .string(job.description), "state": .string("QUEUED"), "version": .int(1_003_000_000),
            "attempt": .int(1), "updated_at": .double(1_700_000_000),
        ]
        item[attribute] = nil
        try await sink.client.putItem(table: sink.table, item: item)
        do {
            _ = try await sink.status(of: job)
            Issue.record("an item without \(attribute) was read")
        } catch let error as StatusRecordError {
            #expect(error.attribute == attribute && error.problem == problem && error.jobID == job)
        }
    }

    /// 500 clips with 1,000-character emoji texts (4 bytes each in UTF-8: 2 MB of text) are one status
    /// record that fits: DynamoDB refuses items over 400 KB for good, and COMPLETED would wait behind it.
    @Test(arguments: StoreKind.allCases)
    func aJobOf500ClipsWithLongTextsFitsOneRecord(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let job = JobID.make()
        let text = String(repeating: "🎬", count: 1000)
        let clips = (0..<500).map { index in
            ClipRecord(
                index: index, start: Double(index) * 2, duration: 2, text: text, key: ObjectKeys.clip(job, index: index), size: 1_234_567,
                thumbnailKey: ObjectKeys.thumbnail(job, index: index))
        }
        let completed = StatusWrite(
            jobID: job, state: .completed, clipsDone: 500, progress: JobProgress(clipsDone: 500, clipsTotal: 500), clips: clips)
        #expect(try await fixture.store.apply(completed) == .applied)
        let status = try #require(try await fixture.store.status(of: job))
        #expect(status.state == .completed && status.clips == clips.map(\.stored))
    }

    @Test func wrongTypeInANestedAttributeIsNamedByItsPath() async throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let http = try HTTPClient()
        defer { http.shutdown() }
        let sink = DynamoDBStatusSink(client: try DynamoDBClient(environment: moto.environment, http: http), table: "cutline-jobs")
        try await sink.createTable()
        let job = JobID.make()
        let clip: AttributeValue = .map([
            "index": .int(0), "start": .double(0), "duration": .double(5), "text": .string("a"),
            "key": .int(7), "size": .int(10),
        ])
        try await sink.client.putItem(
            table: sink.table,
            item: [
                "job_id": .string(job.description), "state": .string("PROCESSING"), "version": .int(1_004_000_001),
                "attempt": .int(1), "updated_at": .double(1_700_000_000), "clips": .list([clip]),
            ])
        do {
            _ = try await sink.status(of: job)
            Issue.record("a clip whose key is a number was read")
        } catch let error as StatusRecordError {
            #expect(error.attribute == "clips[0].key")
        }
    }
}
