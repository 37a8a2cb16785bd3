import ArgumentParser
import CutlineContracts
import CutlineRPC
import CutlineServiceHost
import CutlineSettings
import CutlineWire
import Foundation
import Logging

/// `cutline health HOST:PORT`: asks a service how it is; exits non-zero if it does not answer.
struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask a Cutline service for its health over RPC.",
        discussion: "Prints `NAME VERSION up UPTIME in-flight N` and exits 0, or one line saying why not and exits 1."
    )

    @Argument(help: "The service's RPC address, HOST:PORT (e.g. 127.0.0.1:7420).")
    var address: String

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Double = 5

    @Flag(help: "Print the answer as JSON.")
    var json = false

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let target: SocketAddress
        do {
            target = try SocketAddress(parsing: address)
        } catch {
            throw ValidationError("\(error)")
        }
        let settings = try ResolvedCommon(common)
        LogSetup.bootstrap(format: settings.logFormat, level: ProcessInfo.processInfo.environment["CUTLINE_LOG_LEVEL"] ?? "warning")
        var configuration = RPCClientConfiguration(
            address: target, secret: try settings.loadSecret(createIfMissing: false), clientName: "cutline-cli")
        configuration.maxFrameLength = settings.maxFrameBytes
        let client = RPCClient(configuration: configuration, logger: Logger(label: "cutline.cli"))
        defer { client.close() }
        do {
            let health = try await client.call(SystemContract.health, HealthRequest(), timeout: .milliseconds(Int64(timeout * 1000)))
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(health), as: UTF8.self))
            } else {
                print("\(health.name) \(health.version) up \(String(format: "%.1f", health.uptimeSeconds))s in-flight \(health.inFlight)")
            }
        } catch let error as RPCError {
            FileHandle.standardError.write(Data("cutline health \(target): \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
