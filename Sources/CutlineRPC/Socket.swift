import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A host and port, written `HOST:PORT` or `[IPV6]:PORT`.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; the error names what is wrong so a bad setting can be fixed.
    public init(parsing text: String) throws(RPCConfigurationError) {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw .init("address \"\(text)\" has no port (expected [HOST]:PORT)") }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw .init("address \"\(text)\" has no port (expected HOST:PORT, e.g. 127.0.0.1:7420)")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty else { throw .init("address \"\(text)\" has no host (expected HOST:PORT)") }
        guard let port = UInt16(portText) else {
            throw .init("address \"\(text)\" has an invalid port \"\(portText)\" (expected 0–65535)")
        }
        if host == "localhost" { host = "127.0.0.1" }
        self.init(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A configuration value that cannot be used; the message names the setting and the fix.
public struct RPCConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A system call that failed, with errno's text.
struct SocketError: Error, Sendable, CustomStringConvertible {
    let operation: String
    let errnoCode: Int32
    let detail: String

    init(_ operation: String, errno code: Int32 = errno, detail: String = "") {
        self.operation = operation
        self.errnoCode = code
        self.detail = detail
    }

    var description: String {
        let reason = String(cString: strerror(errnoCode))
        return detail.isEmpty ? "\(operation): \(reason)" : "\(operation) \(detail): \(reason)"
    }
}

/// Owns one socket descriptor and closes it exactly once. All calls block; they run on the
/// connection's own threads, never on Swift's cooperative pool.
final class Socket: Sendable {
    let fd: Int32
    private let closed = Atomic<Bool>(false)

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit { if !closed.load(ordering: .acquiring) { _ = Glibc.close(fd) } }

    func close() {
        if closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
            _ = Glibc.close(fd)
        }
    }

    /// Ends reading: a thread blocked in `read` sees end-of-stream. Used to stop a connection's reader.
    func shutdownRead() { _ = Glibc.shutdown(fd, Int32(SHUT_RD)) }
    func shutdownBoth() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    // MARK: Listening

    static func listen(on address: SocketAddress, backlog: Int32 = 512) throws -> Socket {
        try withAddresses(address, passive: true) { info in
            let fd = Glibc.socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { throw SocketError("socket") }
            let socket = Socket(fd: fd)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            guard Glibc.bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
                throw SocketError("bind", detail: address.description)
            }
            guard Glibc.listen(fd, backlog) == 0 else { throw SocketError("listen", detail: address.description) }
            return socket
        }
    }

    /// The port the socket is bound to (useful after binding port 0).
    func localPort() -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { return 0 }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
        default: return 0
        }
    }

    /// Waits up to `timeoutMilliseconds` for a connection; nil on timeout.
    func accept(timeoutMilliseconds: Int32) throws -> (Socket, String)? {
        guard try poll(events: Int16(POLLIN), timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let client = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd, $0, &length) }
        }
        guard client >= 0 else {
            if errno == EAGAIN || errno == EINTR || errno == ECONNABORTED { return nil }
            throw SocketError("accept")
        }
        let socket = Socket(fd: client)
        socket.configureForRPC()
        return (socket, Socket.describe(&storage))
    }

    // MARK: Connecting

    static func connect(to address: SocketAddress, timeoutMilliseconds: Int32) throws -> Socket {
        try withAddresses(address, passive: false) { info in
            let fd = Glibc.socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { throw SocketError("socket") }
            let socket = Socket(fd: fd)
            // Non-blocking connect so the attempt honours the timeout, then back to blocking.
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
                guard errno == EINPROGRESS else { throw SocketError("connect", detail: "to \(address)") }
                guard try socket.poll(events: Int16(POLLOUT), timeoutMilliseconds: timeoutMilliseconds) else {
                    throw SocketError("connect", errno: ETIMEDOUT, detail: "to \(address)")
                }
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                guard error == 0 else { throw SocketError("connect", errno: error, detail: "to \(address)") }
            }
            _ = fcntl(fd, F_SETFL, flags)
            // Connecting to a free port in the ephemeral range can connect the socket to itself (TCP
            // simultaneous open); that is no server, and it would hold the port the server needs.
            if socket.isConnectedToItself() {
                throw SocketError("connect", errno: ECONNREFUSED, detail: "to \(address)")
            }
            socket.configureForRPC()
            return socket
        }
    }

    private func isConnectedToItself() -> Bool {
        var local = sockaddr_storage()
        var peer = sockaddr_storage()
        var localLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        var peerLength = localLength
        let ok = withUnsafeMutablePointer(to: &local) { l in
            withUnsafeMutablePointer(to: &peer) { p in
                l.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &localLength) } == 0
                    && p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &peerLength) } == 0
            }
        }
        guard ok, localLength == peerLength else { return false }
        return withUnsafeBytes(of: &local) { l in
            withUnsafeBytes(of: &peer) { p in l.prefix(Int(localLength)).elementsEqual(p.prefix(Int(peerLength))) }
        }
    }

    private func configureForRPC() {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// A write that cannot make progress for this long fails instead of holding a thread forever.
    func setSendTimeout(milliseconds: Int) {
        var tv = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    // MARK: I/O

    /// True when the socket is ready; false on timeout.
    func poll(events: Int16, timeoutMilliseconds: Int32) throws -> Bool {
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let result = Glibc.poll(&descriptor, 1, timeoutMilliseconds)
            if result > 0 { return true }
            if result == 0 { return false }
            if errno != EINTR { throw SocketError("poll") }
        }
    }

    /// Reads what is available into `buffer`; 0 means the peer closed.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            if errno == ECONNRESET { return 0 }
            throw SocketError("read")
        }
    }

    /// Reads what is already there; nil if nothing is (0 means the peer closed).
    func readNonBlocking(into buffer: UnsafeMutableRawBufferPointer) throws -> Int? {
        while true {
            let n = Glibc.recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            if n >= 0 { return n }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
            if errno == ECONNRESET { return 0 }
            throw SocketError("read")
        }
    }

    /// Writes what the kernel takes without waiting; returns how many bytes that was.
    func writeNonBlocking(_ bytes: [UInt8]) throws -> Int {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    return offset
                } else {
                    throw SocketError("write")
                }
            }
            return offset
        }
    }

    func writeAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    throw SocketError("write", errno: ETIMEDOUT, detail: "(peer is not reading)")
                } else {
                    throw SocketError("write")
                }
            }
        }
    }

    // MARK: Helpers

    private static func withAddresses<T>(_ address: SocketAddress, passive: Bool, _ body: (UnsafeMutablePointer<addrinfo>) throws -> T) throws -> T {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = passive ? AI_PASSIVE : 0
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &result)
        guard status == 0, let first = result else {
            throw SocketError("resolve", errno: EINVAL, detail: "\(address.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var lastError: (any Error)?
        var current: UnsafeMutablePointer<addrinfo>? = first
        while let info = current {
            do {
                return try body(info)
            } catch {
                lastError = error
            }
            current = info.pointee.ai_next
        }
        throw lastError ?? SocketError("resolve", errno: EINVAL, detail: address.host)
    }

    /// Every address `address`'s host resolves to, numeric, in the resolver's order, without repeats.
    static func resolveAll(_ address: SocketAddress) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &result)
        guard status == 0, let first = result else {
            throw SocketError("resolve", errno: EINVAL, detail: "\(address.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var found: [SocketAddress] = []
        var current: UnsafeMutablePointer<addrinfo>? = first
        while let info = current {
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 {
                let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let numeric = SocketAddress(host: text, port: address.port)
                if !found.contains(numeric) { found.append(numeric) }
            }
            current = info.pointee.ai_next
        }
        return found
    }

    private static func describe(_ storage: inout sockaddr_storage) -> String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let length = socklen_t(storage.ss_family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), &service, socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard status == 0 else { return "unknown" }
        func text(_ bytes: [CChar]) -> String {
            String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return "\(text(host)):\(text(service))"
    }
}
