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

    /// Writes that failed their deliveries (here: 12 attempts, the next one an hour away, as a status
    /// store down for long leaves them) are stuck; `cutline outbox replay` delivers them now, and the
    /// status table then holds each job at its newest write.
    @Test func replayDeliversStuckWritesNow() throws {
        let directory = try TestEnvironment.temporaryDirectory("outbox-replay")
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("media.sqlite").path
        let writer = try ChildProcess.run([
            TestEnvironment.executable("cutline-state-bench"), "write", "--db", db, "--jobs", "3", "--writes-per-job", "2",
        ])
        #expect(writer.code == 0, "\(writer.stderr)")
        let failed = try ChildProcess.run([
            "python3", "-c",
            """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1])
            c.execute("UPDATE outbox SET attempts = 12, last_error = 'status store unreachable', next_attempt_at = ?", (time.time() + 3600,))
            c.commit()
            """, db,
        ])
        #expect(failed.code == 0, "\(failed.stderr)")
        let environment = ["CUTLINE_DATA_DIR": directory.path]
        let stuck = try ChildProcess.run([TestEnvironment.executable("cutline"), "outbox", "list", "--stuck", "--db", db], environment: environment)
        #expect(stuck.stdout.split(separator: "\n").dropFirst().count == 6, "\(stuck.stdout)")

        let replay = try ChildProcess.run([TestEnvironment.executable("cutline"), "outbox", "replay", "--db", db], environment: environment)
        #expect(replay.code == 0, "\(replay.stderr)")
        #expect(replay.stdout.contains("6 write(s) made due, 6 delivered, 0 pending, 0 quarantined"), "\(replay.stdout)")
        let stored = try ChildProcess.run([
            "python3", "-c",
            """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1])
            print(c.execute("SELECT count(*) FROM job_status").fetchone()[0])
            c2 = sqlite3.connect(sys.argv[2])
            newest = dict(c2.execute("SELECT job_id, max(version) FROM outbox GROUP BY job_id").fetchall())
            print(all(v == newest[j] for j, v in c.execute("SELECT job_id, version FROM job_status")))
            """, directory.appendingPathComponent("status.sqlite").path, db,
        ])
        #expect(stored.stdout == "3\nTrue\n", "\(stored.stdout)\(stored.stderr)")
        let after = try ChildProcess.run([TestEnvironment.executable("cutline"), "outbox", "list", "--stuck", "--db", db], environment: environment)
        #expect(after.stdout.split(separator: "\n").dropFirst().isEmpty, "\(after.stdout)")
    }
}
