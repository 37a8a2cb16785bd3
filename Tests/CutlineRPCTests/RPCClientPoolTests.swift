import CutlineWire
import Foundation
import Logging
import Testing

@testable import CutlineRPC

/// Calls to a service running as several instances: spread over them, and one that is down passed over
/// without the caller seeing it.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct RPCClientPoolTests {
    static func pool(_ targets: [SocketAddress]) -> RPCClientPool {
        var client = RPCClientConfiguration(address: targets[0], secret: RPCTestServer.secret, clientName: "test-pool")
        client.connectBudget = .milliseconds(500)
        var logger = Logger(label: "test.pool")
        logger.logLevel = .critical
        return RPCClientPool(configuration: .init(client: client, targets: targets), logger: logger)
    }

    @Test func callsAreSpreadOverEveryInstance() async throws {
        let servers = [try RPCTestServer(), try RPCTestServer()]
        let pool = Self.pool(servers.map(\.address))
        defer { pool.close() }
        for number in 0..<10 {
            #expect(try await pool.call(TestContract.echo, EchoRequest(text: "call", number: number)).number == number)
        }
        #expect(servers.map(\.log.calls) == [5, 5], "round robin over both: \(servers.map(\.log.calls))")
        for server in servers { await server.stop() }
    }

    @Test func anInstanceThatIsDownIsPassedOver() async throws {
        let servers = [try RPCTestServer(), try RPCTestServer()]
        let pool = Self.pool(servers.map(\.address))
        defer { pool.close() }
        #expect(try await pool.call(TestContract.echo, EchoRequest(text: "both up", number: 0)).text == "both up")
        await servers[0].stop()
        // Every call is answered, by the instance still up.
        let before = servers[1].log.calls
        for number in 1...6 {
            #expect(try await pool.call(TestContract.echo, EchoRequest(text: "one down", number: number)).number == number)
        }
        #expect(servers[1].log.calls - before == 6)
        // A server's own error is its answer, not a reason to ask another.
        await #expect(throws: RPCError.self) { try await pool.call(TestContract.fail, "no such thing") }
        #expect(servers[1].log.calls - before == 6)
        // With none up, the error says it could not connect.
        await servers[1].stop()
        do {
            _ = try await pool.call(TestContract.echo, EchoRequest(text: "none", number: 0))
            Issue.record("a call succeeded with every instance down")
        } catch let error as RPCError {
            #expect(error.code == .unavailable && error.detail == RPCError.notConnected, "\(error)")
        }
    }

    @Test func callAllReachesEveryInstance() async throws {
        let servers = [try RPCTestServer(), try RPCTestServer(), try RPCTestServer()]
        let pool = Self.pool(servers.map(\.address))
        defer { pool.close() }
        let answers = await pool.callAll(TestContract.echo, EchoRequest(text: "everyone", number: 1))
        #expect(Set(answers.map(\.0)) == Set(servers.map(\.address)))
        #expect(answers.allSatisfy { (try? $0.1.get())?.text == "everyone" })
        #expect(servers.map(\.log.calls) == [1, 1, 1])
        for server in servers { await server.stop() }
    }
}
