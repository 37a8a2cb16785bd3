import CutlineProductTestSupport
import CutlineTestSupport
import Foundation
import Testing

/// A full disk, on a real small filesystem: an upload that does not fit is a 507 and leaves nothing
/// behind; a render that runs out of space fails `storage_full`, naming the disk.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct FullDiskTests {
    @Test(.enabled(if: SmallDisk.available || TestEnvironment.testServersRequired, "mounting a tmpfs needs root"))
    func anUploadThatDoesNotFitIsA507AndLeavesNothingBehind() async throws {
        let disk = try SmallDisk(megabytes: 16)
        defer { disk.unmount() }
        let server = try await RunningGateway(data: disk.directory, environment: ["CUTLINE_DATA_DIR": disk.directory.path])
        defer { Teardowns.stop { await server.stop() } }
        let before = disk.free
        let big = try TestEnvironment.temporaryDirectory("full-disk").appendingPathComponent("big.mp4")
        try Data(count: 24 << 20).write(to: big)
        let initiated = try server.initiate(big)
        let url = try #require((initiated.json["upload"] as? [String: Any])?["url"] as? String)
        let refused = try server.curl(url, ["-X", "PUT", "-H", "Content-Type: video/mp4", "--data-binary", "@\(big.path)"])
        #expect(refused.status == 507 && refused.errorCode == "storage_full", "\(refused.status) \(String(decoding: refused.body, as: UTF8.self))")
        #expect(!refused.errorMessage.contains(disk.directory.path), "the answer names a server path")
        #expect(disk.free >= before - (1 << 20), "the partial upload was left on the disk (\(disk.free) of \(before) free)")
        // What fits is still taken.
        let small = try server.initiate(ProductFixtures.bigBuckBunny)
        let smallURL = try #require((small.json["upload"] as? [String: Any])?["url"] as? String)
        let stored = try server.curl(
            smallURL, ["-X", "PUT", "-H", "Content-Type: video/mp4", "--data-binary", "@\(ProductFixtures.bigBuckBunny.path)"])
        #expect(stored.status == 200)
    }

    @Test(.enabled(if: SmallDisk.available || TestEnvironment.testServersRequired, "mounting a tmpfs needs root"))
    func aRenderThatRunsOutOfSpaceFailsStorageFullNamingTheDisk() async throws {
        // The services' data directory (databases, the embedded store, work files) on a small disk,
        // filled once the upload is in, so the clips do not fit.
        let disk = try SmallDisk(megabytes: 24)
        defer { disk.unmount() }
        let product = try await RunningProduct(environment: ["CUTLINE_DATA_DIR": disk.directory.path])
        defer { Teardowns.stop { await product.stop() } }
        let jobID = try product.upload(try product.longVideo())
        try disk.fill(leaving: 700 << 10)
        let started = try product.gateway.postJSON(
            "/api/upload/complete",
            #"{"job_id": "\#(jobID)", "cutting": {"mode": "fixed", "seconds": 2}, "text": {"mode": "single", "text": "Cutline"}}"#)
        #expect(started.status == 202, "\(started.json)")
        let status = try await product.finished(jobID)
        let error = status.json["error"] as? [String: Any]
        #expect(status.json["state"] as? String == "FAILED" && error?["code"] as? String == "storage_full", "\(status.json)")
        let message = error?["message"] as? String ?? ""
        #expect(message.contains(disk.directory.path), "\(message)")
    }
}
