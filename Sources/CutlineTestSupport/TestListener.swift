public import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP listener on loopback that a test sets up as the network it needs: it counts the connections
/// it is given and the requests' first lines, and answers each new connection as it is told — never
/// (a server that stalls), with a start of an answer and then nothing (a server that stalls mid-body),
/// or by passing the bytes both ways to another port (the real server behind a network path).
public final class TestListener: Sendable {
    public enum Behaviour: Sendable {
        /// Reads what the peer sends and answers nothing, holding the connection open.
        case stall
        /// Reads the request's head, sends these bytes, then answers nothing more.
        case answerThenStall(Data)
        /// Passes bytes both ways to 127.0.0.1:port.
        case forward(port: UInt16)
    }

    private struct State {
        var behaviour: Behaviour
        var connections = 0
        var requestLines: [String] = []
        var open: [Int32] = []
        var stopped = false
    }

    public let port: UInt16
    private let listener: Int32
    private let state: Mutex<State>

    public init(_ behaviour: Behaviour) throws {
        state = Mutex(State(behaviour: behaviour))
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 128) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw TestSupportError("listening on loopback: \(String(cString: strerror(errno)))")
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        Thread { [self] in acceptLoop() }.start()
    }

    deinit { stop() }

    public var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// How connections accepted from now on are answered.
    public func set(_ behaviour: Behaviour) { state.withLock { $0.behaviour = behaviour } }

    /// Connections accepted so far.
    public var connections: Int { state.withLock { $0.connections } }

    /// The first line of each request read so far (e.g. "GET /secret.ts HTTP/1.1"), for `stall` and
    /// `answerThenStall` connections.
    public var requestLines: [String] { state.withLock { $0.requestLines } }

    /// Stops listening and closes every connection (a stalled peer then sees the end).
    public func stop() {
        let open = state.withLock { state -> [Int32]? in
            guard !state.stopped else { return nil }
            state.stopped = true
            return state.open
        }
        guard let open else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                break
            }
            let behaviour = state.withLock { state -> Behaviour? in
                guard !state.stopped else { return nil }
                state.connections += 1
                state.open.append(client)
                return state.behaviour
            }
            guard let behaviour else {
                close(client)
                break
            }
            Thread { [self] in serve(client, behaviour) }.start()
        }
        close(listener)
    }

    private func serve(_ client: Int32, _ behaviour: Behaviour) {
        defer { forget(client) }
        switch behaviour {
        case .stall:
            recordRequestLine(client)
            drain(client)
        case .answerThenStall(let answer):
            recordRequestLine(client)
            _ = answer.withUnsafeBytes { writeAll(client, $0) }
            drain(client)
        case .forward(let port):
            guard let upstream = connectLoopback(port) else { return }
            state.withLock { $0.open.append(upstream) }
            let backDone = DispatchSemaphore(value: 0)
            Thread { [self] in
                pump(from: upstream, to: client)
                shutdown(client, Int32(SHUT_WR))
                backDone.signal()
            }.start()
            pump(from: client, to: upstream)
            shutdown(upstream, Int32(SHUT_WR))
            backDone.wait()
            forget(upstream)
        }
    }

    /// Reads up to the end of the request's head and keeps its first line.
    private func recordRequestLine(_ fd: Int32) {
        var head = [UInt8]()
        var byte: UInt8 = 0
        while head.count < 16_384, read(fd, &byte, 1) == 1 {
            head.append(byte)
            if head.count >= 4, head.suffix(4).elementsEqual([13, 10, 13, 10]) { break }
        }
        let line = String(decoding: head.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        if !line.isEmpty { state.withLock { $0.requestLines.append(line) } }
    }

    /// Reads and discards until the peer closes or the listener stops.
    private func drain(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while read(fd, &buffer, buffer.count) > 0 {}
    }

    private func pump(from source: Int32, to sink: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(source, &buffer, buffer.count)
            guard count > 0 else { return }
            guard buffer.withUnsafeBytes({ writeAll(sink, UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }) else { return }
        }
    }

    private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    private func connectLoopback(_ port: UInt16) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(port.bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        if connected { return fd }
        close(fd)
        return nil
    }

    private func forget(_ fd: Int32) {
        let owned = state.withLock { state -> Bool in
            guard let index = state.open.firstIndex(of: fd) else { return false }
            state.open.remove(at: index)
            return true
        }
        if owned { close(fd) }
    }
}
