import CutlineBlobStore
import CutlineContracts
import CutlineCore
import CutlineDynamoDB
import CutlineHTTP
import CutlineJobStore
import CutlineOutbox
import CutlineSQLite
import CutlineStatusStore
import CutlineStorage
import CutlineTestSupport
import Foundation
import Logging
import Testing

/// Where the Gateway keeps its jobs, behind one set of behaviours: its own SQLite database, and DynamoDB
/// (the distributed mode, where any Gateway answers for any job and its database is only its outbox).
@Suite(.serialized, .timeLimit(.minutes(3)))
struct JobStoreBehaviourTests {
    /// One Gateway's view: its job store, its outbox and the status store its relay delivers to.
    final class Gateway: @unchecked Sendable {
        let jobs: any JobStore
        let database: SQLiteDatabase
        let outbox: OutboxStore
        let status: any StatusStore

        init(jobs: any JobStore, database: SQLiteDatabase, status: any StatusStore) {
            self.jobs = jobs
            self.database = database
            self.outbox = OutboxStore(database: database)
            self.status = status
        }

        /// What this Gateway's outbox holds for the job: status writes by state, messages by body.
        func handedOver(_ job: JobID) async throws -> [String] {
            try await outbox.rows(jobID: job.description).map { row in row.write.map { $0.state.rawValue } ?? "message \(row.message?.body ?? "")" }
        }

        /// Runs the relay over the outbox once (a queue message has nowhere to go here, and waits).
        func deliver() async throws {
            try await OutboxRelay(store: outbox, sink: status, logger: Logger(label: "test.relay")).deliverOnce()
        }
    }

    /// The stores of one kind; `gateway()` makes another Gateway on the same shared stores (DynamoDB only).
    final class Fixture: @unchecked Sendable {
        let kind: StoreKind
        let directory: URL
        let status: any StatusStore
        let objects: any ObjectStore
        private var moto: MotoServer?
        private var http: HTTPClient?
        private var sink: DynamoDBStatusSink?

        init(_ kind: StoreKind) async throws {
            self.kind = kind
            directory = try TestEnvironment.temporaryDirectory("jobs")
            objects = EmbeddedObjectStore(
                blobs: try BlobStore(root: directory.appendingPathComponent("blobs"), secret: Array(repeating: UInt8(7), count: 32)),
                publicURL: URL(string: "http://127.0.0.1:1")!)
            switch kind {
            case .sqlite:
                status = try SQLiteStatusStore(path: directory.appendingPathComponent("status.sqlite").path)
            case .dynamodb:
                let moto = try MotoServer()
                let http = try HTTPClient()
                let sink = DynamoDBStatusSink(client: try DynamoDBClient(environment: moto.environment, http: http), table: "cutline-jobs")
                try await sink.createTable()
                (self.moto, self.http, self.sink, status) = (moto, http, sink, sink)
            }
        }

        /// A Gateway with its own database; `inlineLimit` is the DynamoDB store's largest submitted job kept in the item.
        func gateway(_ name: String = "gateway", inlineLimit: Int = 64 * 1024) throws -> Gateway {
            let database = try SQLiteDatabase(
                path: directory.appendingPathComponent("\(name).sqlite").path, migrations: Outbox.migrations + SQLiteJobStore.migrations)
            guard let sink else { return Gateway(jobs: SQLiteJobStore(database: database), database: database, status: status) }
            let jobs = DynamoDBJobStore(client: sink.client, table: sink.table, outbox: database, objects: objects, inlineLimit: inlineLimit)
            return Gateway(jobs: jobs, database: database, status: status)
        }

        deinit {
            http?.shutdown()
            moto?.stop()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func newJob(createdAt: Date = Date(timeIntervalSince1970: 1_700_000_000)) -> GatewayJob {
        let id = JobID.make()
        return GatewayJob(
            jobID: id, state: .created, filename: "holiday – ünïcode.mp4", contentType: "video/mp4", size: 52_000_000,
            sourceKey: ObjectKeys.source(id), uploadID: "upload-1", partSize: 8_388_608, createdAt: createdAt)
    }

    static let probe = ProbeSummary(
        duration: 61.5, frameRate: FrameRate(numerator: 30000, denominator: 1001), width: 1280, height: 720, hasAudio: true,
        videoCodec: "h264", rotation: 0)

    static func submit(_ job: GatewayJob, every seconds: Double = 10, text: String = "Watch till the end 🎬") throws -> SubmitRequest {
        let plan = try SegmentPlan.plan(duration: probe.duration, frameRate: probe.frameRate, mode: .fixed(seconds: seconds))
        return SubmitRequest(
            jobID: job.jobID, attempt: 1, sourceKey: job.sourceKey, plan: plan, texts: Array(repeating: text, count: plan.count),
            style: OverlayStyle())
    }

    @Test(arguments: StoreKind.allCases)
    func aJobMovesThroughTheGatewaysStatesOnceEachWithItsStatusWrite(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let gateway = try fixture.gateway()
        let job = Self.newJob()
        #expect(try await gateway.jobs.job(job.jobID) == nil, "an unknown job is nil, not an error")
        try await gateway.jobs.uploaded(job.jobID, probe: Self.probe)
        #expect(try await gateway.jobs.job(job.jobID) == nil, "a change to an unknown job makes none")

        try await gateway.jobs.create(job)
        #expect(try await gateway.jobs.job(job.jobID) == job, "read back as written")
        try await gateway.jobs.uploaded(job.jobID, probe: Self.probe)
        try await gateway.jobs.uploaded(job.jobID, probe: Self.probe)
        try await gateway.jobs.previewed(job.jobID, seed: UInt64(1) << 52)
        var stored = try #require(try await gateway.jobs.job(job.jobID))
        #expect(stored.state == .uploaded && stored.probe == Self.probe && stored.seed == UInt64(1) << 52)

        let submit = try Self.submit(job)
        let params = #"{"cutting":{"every_seconds":10}}"#
        #expect(try await gateway.jobs.queue(submit, params: params))
        #expect(!(try await gateway.jobs.queue(try Self.submit(job, every: 5), params: params)), "a job is submitted once")
        try await gateway.jobs.previewed(job.jobID, seed: 9)
        stored = try #require(try await gateway.jobs.job(job.jobID))
        #expect(stored.state == .queued && stored.submitted == submit, "the first submit stands")
        #expect(stored.seed == UInt64(1) << 52, "a submitted job's seed is fixed")

        try await gateway.jobs.cancel(job.jobID, attempt: 1)
        #expect(try await gateway.jobs.job(job.jobID)?.state == .cancelled)
        #expect(
            try await gateway.handedOver(job.jobID) == ["CREATED", "UPLOADED", "QUEUED", "CANCELLED"],
            "each state entered once, each with its status write")
        try await gateway.deliver()
        let record = try #require(try await fixture.status.status(of: job.jobID))
        #expect(record.state == .cancelled && record.createdAt == job.createdAt)
        #expect(try await gateway.jobs.resendUndelivered(handedOverBefore: Date().addingTimeInterval(60), status: fixture.status).jobs.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func listingsAndTheSweepersQuestionsAnswerOldestOrNewestFirst(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let gateway = try fixture.gateway()
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let jobs = (0..<3).map { Self.newJob(createdAt: start.addingTimeInterval(Double($0) * 60)) }
        for job in jobs { try await gateway.jobs.create(job) }
        try await gateway.jobs.uploaded(jobs[1].jobID, probe: Self.probe)

        #expect(try await gateway.jobs.recent(limit: 2).map(\.jobID) == [jobs[2].jobID, jobs[1].jobID], "newest first, at most the limit")
        let unfinished = try await gateway.jobs.unfinishedUploads(createdBefore: start.addingTimeInterval(150), limit: 100)
        #expect(unfinished.map(\.jobID) == [jobs[0].jobID, jobs[2].jobID], "only CREATED jobs created before the date, oldest first")

        let failure = JobFailure(code: "upload_expired", message: "the upload did not finish within 1 d")
        #expect(try await gateway.jobs.uploadExpired(jobs[0].jobID, failure: failure))
        #expect(!(try await gateway.jobs.uploadExpired(jobs[0].jobID, failure: failure)), "expired once")
        #expect(!(try await gateway.jobs.uploadExpired(jobs[1].jobID, failure: failure)), "an uploaded job does not expire")
        #expect(try await gateway.jobs.job(jobs[0].jobID)?.state == .failed)

        let deleted = start.addingTimeInterval(3600)
        try await gateway.jobs.filesDeleted(jobs[0].jobID, at: deleted)
        try await gateway.jobs.filesDeleted(jobs[0].jobID, at: deleted.addingTimeInterval(600))
        #expect(try await gateway.jobs.job(jobs[0].jobID)?.filesDeletedAt == deleted, "the first date is kept")
        #expect(
            try await gateway.jobs.withFiles(createdBefore: start.addingTimeInterval(3600), limit: 100).map(\.jobID) == [
                jobs[1].jobID, jobs[2].jobID,
            ])
        #expect(try await gateway.jobs.filesDeleted(after: deleted.addingTimeInterval(-1), limit: 100).map(\.jobID) == [jobs[0].jobID])
        #expect(try await gateway.jobs.filesDeleted(after: deleted, limit: 100).isEmpty)
        #expect(try await gateway.handedOver(jobs[0].jobID) == ["CREATED", "FAILED"])
    }

    @Test
    func twoGatewaysAnswerForTheSameJobAndOnlyOneSubmitsIt() async throws {
        let fixture = try await Fixture(.dynamodb)
        let (first, second) = (try fixture.gateway("first"), try fixture.gateway("second"))
        let job = Self.newJob()
        try await first.jobs.create(job)
        try await second.jobs.uploaded(job.jobID, probe: Self.probe)
        #expect(try await first.jobs.job(job.jobID)?.probe == Self.probe, "what one Gateway records, the other reads")
        let (a, b) = (try Self.submit(job, every: 10), try Self.submit(job, every: 5))
        async let firstQueued = first.jobs.queue(a, params: "{}")
        async let secondQueued = second.jobs.queue(b, params: "{}")
        let queued = try await [firstQueued, secondQueued]
        #expect(queued.filter { $0 }.count == 1, "exactly one submit wins")
        let winner = queued[0] ? a : b
        let (seenFirst, seenSecond) = (try await first.jobs.job(job.jobID), try await second.jobs.job(job.jobID))
        #expect(seenFirst?.submitted == winner && seenSecond == seenFirst, "both answer the same")
        let (listedFirst, listedSecond) = (try await first.jobs.recent(limit: 10), try await second.jobs.recent(limit: 10))
        #expect(listedFirst == listedSecond && listedFirst.map(\.jobID) == [job.jobID])
    }

    @Test
    func aSubmittedJobTooLargeForAnItemIsKeptInTheObjectStore() async throws {
        let fixture = try await Fixture(.dynamodb)
        let gateway = try fixture.gateway(inlineLimit: 4096)
        let job = Self.newJob()
        try await gateway.jobs.create(job)
        let long = String(repeating: "Our best summer deals are here — shop now ☀️ ", count: 20)
        let submit = try Self.submit(job, every: 2, text: long)
        #expect(try await gateway.jobs.queue(submit, params: "{}"))
        #expect(!(try await gateway.jobs.queue(try Self.submit(job, every: 3, text: long), params: "{}")))
        #expect(try await gateway.jobs.job(job.jobID)?.submitted == submit, "read back whole from the object store")
        let kept = try await fixture.objects.list(prefix: "records/\(job.jobID)/")
        #expect(kept.count == 1, "the losing submit's copy is removed: \(kept.map(\.key))")
    }

    @Test
    func aStatusWriteWhoseOutboxWasLostIsHandedOverAgainByAnotherGateway() async throws {
        let fixture = try await Fixture(.dynamodb)
        let (lost, survivor) = (try fixture.gateway("lost"), try fixture.gateway("survivor"))
        let delivered = Self.newJob()
        try await survivor.jobs.create(delivered)
        try await survivor.deliver()

        // The Gateway queues a job and dies with its disk before its relay sends anything.
        let job = Self.newJob()
        try await lost.jobs.create(job)
        try await lost.jobs.uploaded(job.jobID, probe: Self.probe)
        let messages = [QueuedMessage(jobID: job.jobID, body: #"{"first_clip":0}"#), QueuedMessage(jobID: job.jobID, body: #"{"first_clip":3}"#)]
        let submit = try Self.submit(job)
        #expect(try await lost.jobs.queue(submit, params: #"{"cutting":"fixed"}"#, messages: messages))
        #expect(try await fixture.status.status(of: job.jobID) == nil)

        let sweep = Date()
        #expect(try await survivor.jobs.resendUndelivered(handedOverBefore: sweep, status: fixture.status).jobs == [job.jobID], "only the lost write")
        #expect(
            try await survivor.handedOver(job.jobID) == ["QUEUED"] + messages.map { "message \($0.body)" },
            "the QUEUED write (which stands for those before it) and the job's messages")
        #expect(
            try await survivor.jobs.resendUndelivered(handedOverBefore: sweep, status: fixture.status).jobs.isEmpty,
            "handed over again once per sweep: its time is renewed")
        try await survivor.deliver()
        let record = try #require(try await fixture.status.status(of: job.jobID))
        #expect(record.state == .queued && record.params == #"{"cutting":"fixed"}"# && record.progress?.clipsTotal == Int64(submit.plan.count))
        #expect(record.version == StatusWrite(jobID: job.jobID, state: .queued).version, "the same write, so a late copy changes nothing")

        // QUEUED shows, but that does not say its messages went (they go after it): they are sent again
        // until a processor writes past QUEUED; then there is nothing left to send.
        let later = Date().addingTimeInterval(3600)
        #expect(try await survivor.jobs.resendUndelivered(handedOverBefore: later, status: fixture.status).jobs == [job.jobID])
        #expect(try await fixture.status.apply(StatusWrite(jobID: job.jobID, state: .processing)) == .applied)
        let muchLater = Date().addingTimeInterval(7200)
        #expect(
            try await survivor.jobs.resendUndelivered(handedOverBefore: muchLater, status: fixture.status).jobs.isEmpty, "rendering: nothing to send")
        try await lost.deliver()
        #expect(try await fixture.status.status(of: job.jobID)?.state == .processing, "the lost Gateway's copy, had it come back, is a no-op")

        // A record whose write cannot be read is named, and does not hold up the others.
        let broken = Self.newJob()
        try await survivor.jobs.create(broken)
        let other = Self.newJob()
        try await survivor.jobs.create(other)
        let sink = try #require(fixture.status as? DynamoDBStatusSink)
        _ = try await sink.client.updateItem(
            table: sink.table, key: ["job_id": .string("job:\(broken.jobID)")], update: "SET #h.#w = :w",
            names: ["#h": "handed_over", "#w": "write"], values: [":w": .string("not a write")])
        let pass = try await survivor.jobs.resendUndelivered(handedOverBefore: muchLater, status: fixture.status)
        #expect(pass.jobs == [other.jobID] && pass.problems.count == 1 && pass.problems[0].contains("\(broken.jobID)"), "\(pass)")
    }
}
