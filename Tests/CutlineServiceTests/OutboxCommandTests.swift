import CutlineTestSupport
import Foundation
import Testing

/// `cutline outbox …` on a service database, as an operator reads it.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct OutboxCommandTests {
    func cutline(_ arguments: [String]) throws -> (code: Int32, stdout: String, stderr: String) {
        try ChildProcess.run([TestEnvironment.executable("cutline")] + arguments)
    }

    /// A write whose stored payload was damaged is listed as stuck with the reason it was set aside,
    /// once the relay has met it; the other writes are still pending for delivery, not stuck.
    @Test func quarantinedWriteIsListedAsStuckWithItsReason() throws {
        let directory = try TestEnvironment.temporaryDirectory("outbox-cli")
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("media.sqlite").path
        // cutline-state-bench writes real status writes through the outbox (the service's code path).
        let writer = try ChildProcess.run([
            TestEnvironment.executable("cutline-state-bench"), "write", "--db", db, "--jobs", "3", "--writes-per-job", "2",
        ])
        #expect(writer.code == 0, "\(writer.stderr)")
        let damaged = try ChildProcess.run([
            "python3", "-c",
            """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1])
            job = c.execute("SELECT job_id FROM outbox ORDER BY id LIMIT 1").fetchone()[0]
            c.execute("UPDATE outbox SET payload = '{\\"state\\": 1' WHERE id = (SELECT min(id) FROM outbox)")
            c.commit()
            print(job)
            """, db,
        ])
        #expect(damaged.code == 0, "\(damaged.stderr)")
        let job = damaged.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        // The relay's pass (delivering into an embedded status table) meets the damaged row.
        let drain = try ChildProcess.run([
            TestEnvironment.executable("cutline-state-bench"), "drain", "--db", db,
            "--status-db", directory.appendingPathComponent("status.sqlite").path,
        ])
        #expect(drain.code == 0, "\(drain.stderr)")

        let stuck = try cutline(["outbox", "list", "--stuck", "--db", db])
        #expect(stuck.code == 0, "\(stuck.stderr)")
        let lines = stuck.stdout.split(separator: "\n").dropFirst()
        #expect(lines.count == 1, "\(stuck.stdout)")
        #expect(
            lines.first.map { $0.contains("job_id=\(job)") && $0.contains("quarantined") && $0.contains("not a status write") } == true,
            "\(stuck.stdout)")
        let stats = try cutline(["outbox", "stats", "--db", db])
        #expect(stats.stdout.contains("pending 0") && stats.stdout.contains("quarantined 1"), "\(stats.stdout)")
    }
}
