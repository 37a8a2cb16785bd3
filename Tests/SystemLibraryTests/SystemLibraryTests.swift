import CCurl
import CFFmpeg
import CSQLite
import CutlineTestSupport
import Foundation
import Testing

/// One real call into each native library, so a broken pkg-config or link setup fails here first.
@Suite struct SystemLibraryTests {
    static var fixtures: URL { TestEnvironment.fixtures }

    @Test func ffmpegReadsTheDurationOfARealVideo() throws {
        let path = Self.fixtures.appendingPathComponent("media/bigbuckbunny.mp4").path
        try #require(FileManager.default.fileExists(atPath: path), "missing \(path): run scripts/bootstrap")
        var context: UnsafeMutablePointer<AVFormatContext>?
        #expect(avformat_open_input(&context, path, nil, nil) == 0)
        defer { avformat_close_input(&context) }
        #expect(avformat_find_stream_info(context, nil) >= 0)
        let seconds = Double(context!.pointee.duration) / Double(cutline_av_time_base())
        // The container's duration, as ffprobe reads it (5.312 s: the audio is the longer stream).
        let probe = try ChildProcess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path])
        let expected = try #require(Double(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(abs(seconds - expected) < 0.001)
        #expect(context!.pointee.nb_streams >= 1)
    }

    @Test func ffmpegErrorMacrosMatchTheirMeaning() {
        #expect(cutline_averror_eagain() == -EAGAIN)
        #expect(cutline_av_nopts_value() == Int64.min)
        var buffer = [CChar](repeating: 0, count: 128)
        av_strerror(cutline_averror_eof(), &buffer, buffer.count)
        #expect(String(decoding: buffer.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self) == "End of file")
    }

    @Test func curlFetchesAFileFromALoopbackServer() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cutline-curl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let body = "hello from a real HTTP server \(UUID().uuidString)"
        try Data(body.utf8).write(to: directory.appendingPathComponent("greeting.txt"))

        let server = try LoopbackHTTPServer(directory: directory)
        defer { server.stop() }

        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        let handle = try #require(curl_easy_init())
        defer { curl_easy_cleanup(handle) }
        let received = ReceivedBytes()
        _ = cutline_curl_setopt_string(handle, CURLOPT_URL, "http://127.0.0.1:\(server.port)/greeting.txt")
        _ = cutline_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, 5000)
        _ = cutline_curl_setopt_write_function(handle) { pointer, size, count, context in
            let received = Unmanaged<ReceivedBytes>.fromOpaque(context!).takeUnretainedValue()
            received.bytes.append(contentsOf: UnsafeRawBufferPointer(start: pointer, count: size * count))
            return size * count
        }
        let code = withExtendedLifetime(received) {
            _ = cutline_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(received).toOpaque())
            return curl_easy_perform(handle)
        }
        #expect(code == CURLE_OK, "\(String(cString: curl_easy_strerror(code)))")
        var status = 0
        _ = cutline_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        #expect(status == 200)
        #expect(String(decoding: received.bytes, as: UTF8.self) == body)
    }

    @Test func sqliteRunsStatementsOnAFreshDatabase() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cutline-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var db: OpaquePointer?
        #expect(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK)
        defer { sqlite3_close_v2(db) }
        #expect(
            sqlite3_exec(db, "CREATE TABLE t(k TEXT PRIMARY KEY, v INTEGER); INSERT INTO t VALUES ('a', 41), ('b', 1);", nil, nil, nil) == SQLITE_OK)
        var statement: OpaquePointer?
        #expect(sqlite3_prepare_v2(db, "SELECT sum(v) FROM t WHERE k >= ?", -1, &statement, nil) == SQLITE_OK)
        defer { sqlite3_finalize(statement) }
        sqlite3_bind_text(statement, 1, "a", -1, cutline_sqlite_transient())
        #expect(sqlite3_step(statement) == SQLITE_ROW)
        #expect(sqlite3_column_int64(statement, 0) == 42)
    }
}

final class ReceivedBytes: @unchecked Sendable {
    var bytes: [UInt8] = []
}

/// Python's http.server on a free loopback port: a real HTTP server, started and stopped by the test.
final class LoopbackHTTPServer {
    let child: ChildProcess
    let port: Int

    init(directory: URL) throws {
        port = Int(TestEnvironment.freePort())
        child = try ChildProcess(["python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", directory.path, String(port)])
        // Ready when it accepts a connection.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(fd)
            if connected { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        child.stop()
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "python http.server did not start on port \(port)"])
    }

    func stop() { child.stop() }
}
