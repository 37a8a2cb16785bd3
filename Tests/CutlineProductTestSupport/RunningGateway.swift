import ArgumentParser
import CutlineContracts
import CutlineCore
package import CutlineGatewayApp
import CutlineJobStore
import CutlineMediaProcessorApp
import CutlineOutbox
import CutlineRPC
import CutlineSQLite
import CutlineServiceHost
import CutlineSettings
import CutlineStorage
import CutlineTestSupport
import CutlineTextApp
package import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// A real Gateway on loopback (HTTP and RPC), driven with the curl command line as a browser or a
/// script would drive it.
package final class RunningGateway: @unchecked Sendable {
    package let data: URL
    package let gateway: Gateway
    package let base: URL
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    package init(data: URL? = nil, environment extra: [String: String] = [:]) async throws {
        await Teardowns.awaitAll()
        self.data = try data ?? TestEnvironment.temporaryDirectory("gateway-http")
        let ports = TestEnvironment.freePorts(2)
        var environment = [
            "CUTLINE_DATA_DIR": self.data.path, "CUTLINE_GATEWAY_RPC_LISTEN": "127.0.0.1:\(ports[1])",
            "CUTLINE_GATEWAY_HTTP_LISTEN": "127.0.0.1:\(ports[0])", "CUTLINE_PUBLIC_URL": "http://127.0.0.1:\(ports[0])",
        ]
        environment.merge(extra) { _, new in new }
        let settings = try ServiceSettings(
            service: "gateway", defaultListen: "127.0.0.1:0", options: try ServiceOptions.parse([]), environment: environment)
        gateway = try buildGateway(settings, http: try GatewayHTTPSettings(nil, environment: environment), logger: TestServices.quiet)
        base = URL(string: environment["CUTLINE_PUBLIC_URL"]!)!
        group = ServiceGroup(services: gateway.service.services, logger: TestServices.quiet)
        let group = self.group
        task = Task { try await group.run() }
        try await waitUntil { self.gateway.http.current != nil }
    }

    package func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        try? FileManager.default.removeItem(at: data)
    }

    package struct Answer {
        package let status: Int
        package let headers: [String: String]
        package let body: Data
        package var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        package var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        package var errorMessage: String { (json["error"] as? [String: Any])?["message"] as? String ?? "" }
    }

    /// One request with the curl CLI: `arguments` are curl's (method, headers, body), `target` a path
    /// under the Gateway or a whole URL.
    package func curl(_ target: String, _ arguments: [String] = []) throws -> Answer {
        let url = target.hasPrefix("http") ? target : base.absoluteString + target
        let output = data.appendingPathComponent("curl-\(UUID().uuidString)")
        let headerFile = data.appendingPathComponent("curl-headers-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: output)
            try? FileManager.default.removeItem(at: headerFile)
        }
        let run = try ChildProcess.run(
            ["curl", "-sS", "-o", output.path, "-D", headerFile.path, "-w", "%{http_code}"] + arguments + [url], timeout: 60)
        guard run.code == 0, let status = Int(run.stdout) else { throw TestSupportError("curl \(url) failed (\(run.code)): \(run.stderr)") }
        var headers: [String: String] = [:]
        for line in ((try? String(contentsOf: headerFile, encoding: .utf8)) ?? "").split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Answer(status: status, headers: headers, body: (try? Data(contentsOf: output)) ?? Data())
    }

    package func postJSON(_ path: String, _ body: String, _ extra: [String] = []) throws -> Answer {
        try curl(path, ["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", body] + extra)
    }

    package func initiate(_ file: URL, type: String = "video/mp4") throws -> Answer {
        let size = try FileManager.default.attributesOfItem(atPath: file.path)[.size] as! NSNumber
        return try postJSON("/api/upload/initiate", #"{"filename": "\#(file.lastPathComponent)", "content_type": "\#(type)", "size": \#(size)}"#)
    }
}
