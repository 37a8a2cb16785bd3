import CutlineContracts
import CutlineCore
import CutlineJobStore
import CutlineMediaProcessorApp
import CutlineProductTestSupport
import CutlineRPC
import CutlineServiceHost
import CutlineStorage
import CutlineTestSupport
import CutlineWire
import Foundation
import Testing

/// Uploads are strangers' files: the whole product opens each as exactly the stored object.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct UntrustedUploadTests {
    static func hlsPlaylist(naming url: URL) -> Data {
        Data("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n\(url.absoluteString)/secret-internal.ts\n#EXT-X-ENDLIST\n".utf8)
    }

    @Test func aPlaylistUploadIsA422AndWhatItNamesIsNeverFetched() async throws {
        let listener = try TestListener(.stall)
        defer { listener.stop() }
        let product = try await RunningProduct()
        let server = product.gateway
        let playlist = server.data.appendingPathComponent("holiday.mp4")
        try Self.hlsPlaylist(naming: listener.url).write(to: playlist)
        let jobID = try product.upload(playlist)
        let analyzed = try server.postJSON("/api/video/analyze-duration", #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 2}}"#)
        #expect(
            analyzed.status == 422 && analyzed.errorCode == "unsupported_format",
            "\(analyzed.status) \(analyzed.errorCode ?? "-") \(analyzed.errorMessage)")
        #expect(analyzed.errorMessage.contains("playlists") && !analyzed.errorMessage.contains("127.0.0.1"), "\(analyzed.errorMessage)")

        // A frame over the cap is refused with its size.
        let huge = server.data.appendingPathComponent("huge.mp4")
        _ = try ChildProcess.run([
            "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=black:s=8200x16", "-frames:v", "1", "-c:v", "libx264", "-preset", "ultrafast",
            huge.path,
        ])
        let hugeJob = try product.upload(huge)
        let refused = try server.postJSON("/api/video/analyze-duration", #"{"job_id": "\#(hugeJob)", "cutting": {"mode": "fixed", "seconds": 2}}"#)
        #expect(
            refused.status == 422 && refused.errorCode == "video_too_large" && refused.errorMessage.contains("8200×16"),
            "\(refused.status) \(refused.errorMessage)")
        await product.stop()
        #expect(listener.connections == 0, "the processor fetched \(listener.requestLines)")
    }

    /// The object can change between analyze and the render: the render checks it again.
    @Test func anUploadReplacedByAPlaylistAfterAnalyzeFailsItsJobAndFetchesNothing() async throws {
        let listener = try TestListener(.stall)
        defer { listener.stop() }
        let product = try await RunningProduct()
        let server = product.gateway
        let jobID = try product.upload(ProductFixtures.bigBuckBunny)
        let cutting = #"{"mode": "fixed", "seconds": 2}"#
        let analyzed = try server.postJSON("/api/video/analyze-duration", #"{"job_id": "\#(jobID)", "cutting": \#(cutting)}"#)
        #expect(analyzed.status == 200, "\(analyzed.errorMessage)")
        try await product.processor.objects.put(
            key: "uploads/\(jobID)/source", bytes: [UInt8](Self.hlsPlaylist(naming: listener.url)), contentType: "video/mp4")
        let started = try server.postJSON(
            "/api/upload/complete", #"{"job_id": "\#(jobID)", "cutting": \#(cutting), "text": {"mode": "single", "text": "x"}}"#)
        #expect(started.status == 202, "\(started.errorMessage)")
        let status = try await product.finished(jobID)
        let error = status.json["error"] as? [String: Any]
        #expect(
            status.json["state"] as? String == "FAILED" && error?["code"] as? String == "media_unsupported_format",
            "\(String(decoding: status.body, as: UTF8.self))")
        await product.stop()
        #expect(listener.connections == 0, "the processor fetched \(listener.requestLines)")
    }

    /// The MediaProcessor reads uploads through the Gateway's signed URLs; here its way to the Gateway
    /// goes through a listener that first stalls (a storage that stops answering), then passes through.
    @Test func aStalledSourceEndsWithinTheCallsDeadlineAndTheProcessorAnswersTheNextCall() async throws {
        let path = try TestListener(.stall)
        defer { path.stop() }
        let product = try await RunningProduct(processorEnvironment: ["CUTLINE_PUBLIC_URL": path.url.absoluteString])
        let jobID = try product.upload(ProductFixtures.bigBuckBunny)
        let address = try product.processor.service.rpcServer.start()
        let client = RPCClient(
            configuration: .init(address: address, secret: product.processor.service.rpcServer.configuration.secret, clientName: "test"),
            logger: TestServices.quiet)
        defer { client.close() }
        let probe = ProbeRequest(jobID: try JobID(validating: jobID), sourceKey: "uploads/\(jobID)/source")
        // As many stalled probes at once as the shared blocking pool has threads: none may keep one.
        let stalled = ProcessInfo.processInfo.activeProcessorCount + 1
        let started = ContinuousClock.now
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<stalled {
                group.addTask {
                    do {
                        _ = try await client.call(MediaContract.probe, probe, timeout: .seconds(2))
                        return "answered"
                    } catch let error as RPCError {
                        return error.code.rawValue
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.allSatisfy { $0 == "deadline_exceeded" || $0 == "unavailable" }, "\(outcomes)")
        #expect(ContinuousClock.now - started < .seconds(10))
        // Those the pool started reached the stalled storage (the others were still queued at their deadline).
        #expect(path.connections >= 2, "\(path.connections) connections")

        path.set(.forward(port: UInt16(try #require(product.gateway.base.port))))
        // Well before the stalled reads' own 15 s read timeout: only the deadline freed their threads.
        let summary = try await client.call(MediaContract.probe, probe, timeout: .seconds(8))
        #expect(abs(summary.duration - 5.28) < 0.1 && summary.width == 1280, "\(summary)")
        await product.stop()
    }
}
