import CutlineCore
import CutlineHTTP
import CutlineOutbox
import CutlineSQLite
import CutlineSQS
import CutlineStatusStore
import CutlineTestSupport
import Foundation
import Logging
import Testing

/// The shared job queue on moto's SQS: the queue an operator makes with `cutline queue create`, its
/// messages' visibility and dead letters, and the outbox that sends a job's task with its QUEUED write.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct JobQueueTests {
    static func environment(_ moto: MotoServer) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(moto.environment) { _, new in new }
    }

    /// `cutline queue create` as an operator runs it; the URL it prints.
    static func createQueue(_ moto: MotoServer, _ name: String, arguments: [String] = []) throws -> URL {
        let made = try ChildProcess.run([TestEnvironment.executable("cutline"), "queue", "create", name] + arguments, environment: environment(moto))
        try #require(made.code == 0, "cutline queue create: \(made.stderr)")
        return try #require(URL(string: made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    static func client(_ moto: MotoServer) throws -> (SQSClient, HTTPClient) {
        var configuration = HTTPClient.Configuration()
        configuration.maxAttempts = 1
        let http = try HTTPClient(configuration: configuration)
        return (try SQSClient(environment: moto.environment, http: http), http)
    }

    @Test func aTaskIsHiddenWhileHeldAndGivenUpAfterItsReceives() async throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let queue = try Self.createQueue(moto, "jobs", arguments: ["--dead-letter-after", "2", "--visibility", "30"])
        // Made again, the same queue answers (scripts run it on every start).
        #expect(try Self.createQueue(moto, "jobs", arguments: ["--dead-letter-after", "2", "--visibility", "30"]) == queue)
        let (client, http) = try Self.client(moto)
        defer { http.shutdown() }
        #expect(try await client.attributes(queue, names: ["VisibilityTimeout"])["VisibilityTimeout"] == "30")
        let deadLetters = try #require(try await client.deadLetterQueue(of: queue))
        #expect(deadLetters.maxReceiveCount == 2 && deadLetters.url.lastPathComponent == "jobs-dead-letters")

        try await client.send(queue, body: #"{"job":"one"}"#)
        let first = try #require(try await client.receive(queue, wait: .seconds(1)).first)
        #expect(first.body == #"{"job":"one"}"# && first.receiveCount == 1)
        // Held: no other receiver sees it, even after a renewal.
        try await client.changeVisibility(queue, receiptHandle: first.receiptHandle, visibility: .seconds(30))
        #expect(try await client.receive(queue, wait: .seconds(1)).isEmpty)
        // Given back (a processor interrupted): visible at once, counted again.
        try await client.changeVisibility(queue, receiptHandle: first.receiptHandle, visibility: .zero)
        let second = try #require(try await client.receive(queue, wait: .seconds(1)).first)
        #expect(second.receiveCount == 2)
        try await client.changeVisibility(queue, receiptHandle: second.receiptHandle, visibility: .zero)
        // Past its receives, it is a dead letter and no longer a task.
        #expect(try await client.receive(queue, wait: .seconds(1)).isEmpty)
        let dead = try await client.receive(deadLetters.url, wait: .seconds(1))
        #expect(dead.map(\.body) == [#"{"job":"one"}"#])

        let shown = try ChildProcess.run(
            [TestEnvironment.executable("cutline"), "queue", "show", "--sqs-queue-url", queue.absoluteString], environment: Self.environment(moto))
        #expect(shown.code == 0 && shown.stdout.contains("waiting 0") && shown.stdout.contains("after 2 receives"), "\(shown.stdout)\(shown.stderr)")
    }

    @Test func aQueueThatDoesNotExistIsNamedWithTheFix() async throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let (client, http) = try Self.client(moto)
        defer { http.shutdown() }
        let missing = moto.server.baseURL.appendingPathComponent("123456789012/no-such-queue")
        do {
            try await client.send(missing, body: "{}")
            Issue.record("a send to a missing queue succeeded")
        } catch let error as SQSError {
            #expect(error.isQueueMissing, "\(error)")
            #expect(error.description.contains("no-such-queue") && error.description.contains("cutline queue create"), "\(error)")
        }
        let shown = try ChildProcess.run(
            [TestEnvironment.executable("cutline"), "queue", "show", "--sqs-queue-url", missing.absoluteString], environment: Self.environment(moto))
        #expect(shown.code == 1 && shown.stderr.contains("does not exist"), "\(shown.stderr)")
    }

    /// A job's task commits with its QUEUED write and goes out after it; a relay with no queue keeps it,
    /// saying why, and nothing after it for that job overtakes it.
    @Test func theOutboxSendsATaskOnlyAfterItsStatusWriteAndNeverLosesIt() async throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let queueURL = try Self.createQueue(moto, "outbox-jobs")
        let (client, http) = try Self.client(moto)
        defer { http.shutdown() }
        let directory = try TestEnvironment.temporaryDirectory("queue-outbox")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try SQLiteDatabase(path: directory.appendingPathComponent("gateway.sqlite").path, migrations: Outbox.migrations)
        let store = OutboxStore(database: database)
        let status = try SQLiteStatusStore(path: directory.appendingPathComponent("status.sqlite").path)
        var logger = Logger(label: "test.relay")
        logger.logLevel = .critical

        let job = JobID.make()
        let queued = StatusWrite(jobID: job, state: .queued, attempt: 1)
        try await database.write { connection in
            try Outbox.enqueue(queued, on: connection)
            try Outbox.enqueue(QueuedMessage(jobID: job, body: #"{"task":1}"#), version: queued.version, on: connection)
            try Outbox.enqueue(StatusWrite(jobID: job, state: .cancelled, attempt: 1), on: connection)
        }
        // A relay without a queue delivers the status write, keeps the message with the fix, and holds
        // the job's later write behind it.
        let statusOnly = OutboxRelay(store: store, sink: status, logger: logger)
        try await statusOnly.deliverOnce()
        #expect(try await status.status(of: job)?.state == .queued)
        let waiting = try await store.rows(jobID: job.description).filter { $0.deliveredAt == nil }
        #expect(waiting.count == 2 && waiting[0].message?.body == #"{"task":1}"#)
        #expect(waiting[0].lastError?.contains("CUTLINE_SQS_QUEUE_URL") == true, "\(waiting[0].lastError ?? "no error")")
        #expect(try await client.receive(queueURL, wait: .seconds(1)).isEmpty)

        let relay = OutboxRelay(
            store: store, sink: status, messages: SQSJobQueue(client: client, url: queueURL, visibility: .seconds(30)), logger: logger)
        try await store.makeDue()
        try await relay.deliverOnce()
        #expect(try await store.stats().pending == 0)
        #expect(try await status.status(of: job)?.state == .cancelled)
        #expect(try await client.receive(queueURL, wait: .seconds(1)).map(\.body) == [#"{"task":1}"#])
    }
}
