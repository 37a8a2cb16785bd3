import ArgumentParser
import CutlineContracts
import CutlineCore
import CutlineGatewayApp
import CutlineJobStore
package import CutlineMediaProcessorApp
import CutlineOutbox
import CutlineRPC
import CutlineSQLite
import CutlineServiceHost
import CutlineSettings
import CutlineStorage
import CutlineTestSupport
package import CutlineTextApp
package import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// The Gateway and a MediaProcessor, in embedded mode on one data directory, as `scripts/run` starts them.
package final class RunningProduct: @unchecked Sendable {
    package let gateway: RunningGateway
    package let processor: MediaProcessor
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    /// The TextService (offline engine), when the test asks for it.
    package let text: TextApp?
    private let textGroup: ServiceGroup?
    private let textTask: Task<Void, any Error>?

    /// `processorEnvironment` applies to the MediaProcessor alone (e.g. a different way to the Gateway).
    package init(environment extra: [String: String] = [:], processorEnvironment: [String: String] = [:], withText: Bool = false) async throws {
        await Teardowns.awaitAll()
        let data = try TestEnvironment.temporaryDirectory("product")
        // The processor reads uploads through the Gateway's signed URLs, so both know where it is.
        let ports = TestEnvironment.freePorts(3)
        var environment = [
            "CUTLINE_DATA_DIR": data.path, "CUTLINE_MEDIA_RPC_LISTEN": "127.0.0.1:\(ports[1])",
            "CUTLINE_GATEWAY_RPC_LISTEN": "127.0.0.1:\(ports[2])",
            "CUTLINE_GATEWAY_HTTP_LISTEN": "127.0.0.1:\(ports[0])", "CUTLINE_PUBLIC_URL": "http://127.0.0.1:\(ports[0])",
        ]
        environment.merge(extra) { _, new in new }
        let processorOnly = environment.merging(processorEnvironment) { _, new in new }
        let settings = try ServiceSettings(
            service: "media", defaultListen: "127.0.0.1:0", options: try ServiceOptions.parse([]), environment: processorOnly)
        processor = try buildMediaProcessor(
            settings, media: try MediaProcessorSettings(nil, environment: processorOnly), logger: TestServices.quiet)
        let address = try processor.service.rpcServer.start()
        group = ServiceGroup(services: processor.service.services, logger: TestServices.quiet)
        let group = self.group
        task = Task { try await group.run() }
        environment["CUTLINE_MEDIA_ADDRESS"] = "\(address)"
        if withText {
            var textEnvironment = environment
            textEnvironment["CUTLINE_TEXT_RPC_LISTEN"] = "127.0.0.1:0"
            let settings = try ServiceSettings(
                service: "text", defaultListen: "127.0.0.1:0", options: try ServiceOptions.parse([]), environment: textEnvironment)
            let text = try await buildTextService(
                settings, text: try TextSettings(environment: ["CUTLINE_TEXT_ENGINE": "offline"]), logger: TestServices.quiet)
            environment["CUTLINE_TEXT_ADDRESS"] = "\(try text.service.rpcServer.start())"
            let textGroup = ServiceGroup(services: text.service.services, logger: TestServices.quiet)
            self.text = text
            self.textGroup = textGroup
            textTask = Task { try await textGroup.run() }
        } else {
            // Nothing listens here: the TextService is down.
            environment["CUTLINE_TEXT_ADDRESS"] = "127.0.0.1:\(TestEnvironment.freePort())"
            text = nil
            textGroup = nil
            textTask = nil
        }
        gateway = try await RunningGateway(data: data, environment: environment)
    }

    package func stop() async {
        await gateway.stop()
        await stopText()
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    /// Stops the TextService (a test of what happens when it is down).
    package func stopText() async {
        await textGroup?.triggerGracefulShutdown()
        _ = try? await textTask?.value
    }

    /// Creates a job for `file` and PUTs the file to the URL the answer gives (with curl); the job's id.
    package func upload(_ file: URL) throws -> String {
        let initiated = try gateway.initiate(file)
        let jobID = try #require(initiated.json["job_id"] as? String)
        let upload = try #require(initiated.json["upload"] as? [String: Any])
        let headers = (upload["headers"] as? [String: String] ?? [:]).flatMap { ["-H", "\($0.key): \($0.value)"] }
        try #require(try gateway.curl(upload["url"] as! String, ["-X", "PUT", "--data-binary", "@\(file.path)"] + headers).status == 200)
        return jobID
    }

    /// Uploads `file` to a new job and starts it with `cutting` and one text; the job's id.
    package func startJob(
        _ file: URL, cutting: String = #"{"mode": "fixed", "seconds": 2}"#, text: String = "Cutline", textChoice: String? = nil
    ) throws -> String {
        let jobID = try upload(file)
        let choice = textChoice ?? #"{"mode": "single", "text": "\#(text)"}"#
        let started = try gateway.postJSON("/api/upload/complete", #"{"job_id": "\#(jobID)", "cutting": \#(cutting), "text": \#(choice)}"#)
        try #require(started.status == 202, "\(started.errorMessage)")
        return jobID
    }

    /// A 32 s 720p video: the fixture looped by the ffmpeg CLI, streams copied.
    package func longVideo() throws -> URL {
        let long = gateway.data.appendingPathComponent("long.mp4")
        if !FileManager.default.fileExists(atPath: long.path) {
            _ = try ChildProcess.run([
                "ffmpeg", "-v", "error", "-y", "-stream_loop", "5", "-i", ProductFixtures.bigBuckBunny.path, "-c", "copy", long.path,
            ])
        }
        return long
    }

    /// Polls the status endpoint until the job is in a terminal state.
    package func finished(_ jobID: String, timeout: Double = 240) async throws -> RunningGateway.Answer {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let status = try gateway.curl("/api/jobs/\(jobID)/status")
            if ["COMPLETED", "FAILED", "CANCELLED"].contains(status.json["state"] as? String ?? "") { return status }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw TestSupportError("job \(jobID) did not finish within \(timeout) s")
    }
}
