import Foundation
import Synchronization
import Testing

@testable import CutlineRPC

/// PROTOCOL.md §3.9: peers that never authenticate have slots of their own, so a flood of them keeps
/// neither an authenticated peer nor a new one from being served.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct HandshakeFloodTests {
    @Test func elevenHundredSocketsThatNeverAuthenticateDoNotStopRealCalls() async throws {
        // Two rounds of sockets, and the server's side of them, in this one process.
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        try #require(limit.rlim_cur >= 5000, "the flood needs 5000 file descriptors; the hard limit is \(limit.rlim_max)")
        // Held sockets are not timed out during the test: only the slots' own rule can make room.
        let server = try RPCTestServer { $0.handshakeTimeout = .seconds(60) }
        let established = server.client()
        defer { established.close() }
        #expect(try await established.call(TestContract.echo, EchoRequest(text: "before", number: 0)).text == "before")

        let flood = Flood(server.address, sockets: 1100)
        let opened = flood.start()
        // The flood is on: its first 1,100 sockets are open (and it goes on re-opening them).
        try await waitUntil { flood.opened >= 1100 && server.server.acceptedCount >= 1101 }

        // Calls on the connection made before the flood, and on a connection made during it.
        for i in 1...20 {
            #expect(try await established.call(TestContract.echo, EchoRequest(text: "during-\(i)", number: i), timeout: .seconds(10)).number == i)
        }
        let newcomer = server.client()
        defer { newcomer.close() }
        #expect(try await newcomer.call(TestContract.echo, EchoRequest(text: "new", number: 7), timeout: .seconds(10)).text == "new")
        #expect(server.server.connectionCounts.handshaking <= server.server.configuration.maxHandshaking)
        #expect(server.server.connectionCounts.authenticated == 2)

        flood.stop()
        await opened.value
        #expect(flood.opened > 1100, "the flood opened \(flood.opened) sockets (re-opened \(flood.opened - 1100))")
        await server.stop()
    }
}

/// Keeps `sockets` raw TCP sockets connected that send nothing: whenever the server drops one, it is
/// opened again (an attacker holding every slot it can), until stopped.
private final class Flood: Sendable {
    let address: SocketAddress
    let sockets: Int
    private let count = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    init(_ address: SocketAddress, sockets: Int) {
        self.address = address
        self.sockets = sockets
    }

    /// Sockets opened so far, re-opened ones included.
    var opened: Int { count.load(ordering: .relaxed) }

    func stop() { stopped.store(true, ordering: .relaxed) }

    func start() -> Task<Void, Never> {
        Task.detached { [self] in
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                Thread {
                    var held: [Socket?] = Array(repeating: nil, count: self.sockets)
                    var byte: UInt8 = 0
                    while !self.stopped.load(ordering: .relaxed) {
                        for index in held.indices {
                            if let socket = held[index] {
                                // Still open: nothing to read yet (EAGAIN). Closed by the server: 0 or an error.
                                let peeked = recv(socket.fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
                                if peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { continue }
                                socket.close()
                                held[index] = nil
                            }
                            if let socket = try? Socket.connect(to: self.address, timeoutMilliseconds: 2000) {
                                held[index] = socket
                                self.count.add(1, ordering: .relaxed)
                            }
                        }
                    }
                    for socket in held { socket?.close() }
                    done.resume()
                }.start()
            }
        }
    }
}
