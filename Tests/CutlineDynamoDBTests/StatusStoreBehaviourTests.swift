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

/// moto's standalone DynamoDB-API server on a loopback port (the only one installable here). It keeps
/// everything in memory and does not check signatures; the signer is proven by AWS's vectors.
final class MotoServer: @unchecked Sendable {
    let server: LoopbackServer
    let environment: [String: String]

    init() throws {
        server = try LoopbackServer(["moto_server", "-H", "127.0.0.1", "-p", "{port}"], readyTimeout: 60)
        environment = [
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_DYNAMODB": server.baseURL.absoluteString,
        ]
    }

    func stop() { server.stop() }
}

/// The two status stores behind one set of behaviours: the embedded SQLite table and DynamoDB.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, dynamodb
    var testDescription: String { rawValue }
}

final class StoreFixture: @unchecked Sendable {
    let store: any StatusStore
    private let cleanup: () -> Void

    init(_ kind: StoreKind) async throws {
        switch kind {
        case .sqlite:
            let directory = try TestEnvironment.temporaryDirectory("status")
            store = try SQLiteStatusStore(path: directory.appendingPathComponent("status.sqlite").path)
            cleanup = { try? FileManager.default.removeItem(at: directory) }
        case .dynamodb:
            let moto = try MotoServer()
            let http = try HTTPClient()
            let sink = DynamoDBStatusSink(client: try DynamoDBClient(environment: moto.environment, http: http), table: "cutline-jobs")
            try await sink.createTable()
            store = sink
            cleanup = {
                http.shutdown()
                moto.stop()
            }
        }
    }

    deinit { cleanup() }
}

@Suite(.serialized)
struct StatusStoreBehaviourTests {
    @Test(arguments: StoreKind.allCases)
    func writeIsStoredWithEveryField(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let job = JobID.make()
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(try await fixture.store.apply(StatusWrite(jobID: job, state: .created, params: #"{"every":10}"#, createdAt: created)) == .applied)
        let clips = [ClipRecord(index: 0, start: 0, duration: 10.5, text: "Grüße 🎬", key: "clips/\(job)/000.mp4", size: 12345)]
        #expect(try await fixture.store.apply(StatusWrite(jobID: job, state: .processing, clipsDone: 1,
                                                          progress: JobProgress(clipsDone: 1, clipsTotal: 3, framesDone: 250, framesTotal: 750),
                                                          clips: clips)) == .applied)
        let status = try #require(try await fixture.store.status(of: job))
        #expect(status.state == .processing)
        #expect(status.version == StatusVersion(attempt: 1, state: .processing, clipsDone: 1).value)
        #expect(status.progress == JobProgress(clipsDone: 1, clipsTotal: 3, framesDone: 250, framesTotal: 750))
        #expect(status.clips == clips)
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
            for clip in 0..<5 { for job in jobs { try Outbox.enqueue(StatusWrite(jobID: job, state: .processing, clipsDone: Int64(clip)), on: connection) } }
        }
        while try await store.stats().pending > 0 { try await relay.deliverOnce() }
        for job in jobs {
            #expect(try await fixture.store.status(of: job)?.version == StatusVersion(attempt: 1, state: .processing, clipsDone: 4).value)
        }
    }
}
