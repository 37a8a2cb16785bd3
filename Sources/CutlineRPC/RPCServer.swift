import CutlineWire
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

public struct RPCServerConfiguration: Sendable {
    public var listen: SocketAddress
    public var secret: RPCSecret
    /// The service's name, told to clients in the handshake and in `health`.
    public var serviceName: String
    public var maxFrameLength: Int = Frame.defaultMaxLength
    /// Requests one connection may have running at once; past it the server stops reading that
    /// connection until one finishes, so TCP pushes back on the client.
    public var maxInFlightPerConnection: Int = 64
    /// A connection with nothing in flight and nothing received for this long is closed.
    public var idleTimeout: Duration = .seconds(300)
    /// Once a frame has begun, the rest must arrive within this; also bounds a blocked write.
    public var readTimeout: Duration = .seconds(10)
    public var handshakeTimeout: Duration = .seconds(5)
    /// Authenticated connections at most; past it a peer that authenticates gets `resource_exhausted`
    /// and is closed.
    public var maxConnections: Int = 1024
    /// Connections still in the handshake at most, apart from the authenticated ones: when a new peer
    /// finds them all taken, the oldest is dropped to make room. Peers that never authenticate thus
    /// hold neither the authenticated peers' slots nor, for long, a place a real peer needs (its
    /// handshake takes a round trip; theirs is held until it is dropped or times out).
    public var maxHandshaking: Int = 64
    /// How long in-flight calls may run after shutdown begins before they are cancelled.
    public var shutdownGrace: Duration = .seconds(10)

    public init(listen: SocketAddress, secret: RPCSecret, serviceName: String) {
        self.listen = listen
        self.secret = secret
        self.serviceName = serviceName
    }
}

/// The RPC server: accepts connections on a plain TCP socket, authenticates each peer, and runs the
/// router's handlers. A `Service`: graceful shutdown stops accepting, lets in-flight calls finish within
/// the grace period, then cancels what is left and closes every connection.
public final class RPCServer: Service, Sendable {
    public let configuration: RPCServerConfiguration
    public let stats: RPCServerStats
    let router: RPCRouter
    let logger: Logger

    private struct State {
        var listener: Socket?
        var boundAddress: SocketAddress?
        /// Every open connection, authenticated or not (shutdown drains them all).
        var connections: [ObjectIdentifier: ServerConnection] = [:]
        /// Connections in the handshake, oldest first.
        var handshaking: [ObjectIdentifier] = []
        var authenticated: Set<ObjectIdentifier> = []
        /// Connections accepted since start (refused and dropped ones included).
        var accepted = 0
        var stopping = false
        var accepting = false
    }

    private let state = Mutex(State())
    private let acceptDone = DispatchSemaphore(value: 0)

    public init(configuration: RPCServerConfiguration, router: RPCRouter, version: String, logger: Logger) {
        self.configuration = configuration
        self.router = router
        self.stats = RPCServerStats(name: configuration.serviceName, version: version)
        var logger = logger
        logger[metadataKey: "service"] = "\(configuration.serviceName)"
        self.logger = logger
    }

    /// Binds the listening socket (idempotent) and returns the bound address; with port 0 the
    /// system picks a free port, which this reports.
    @discardableResult
    public func bind() throws -> SocketAddress {
        try state.withLock { state in
            if let bound = state.boundAddress { return bound }
            let listener: Socket
            do {
                listener = try Socket.listen(on: configuration.listen)
            } catch {
                throw RPCConfigurationError("cannot listen on \(configuration.listen): \(error)")
            }
            let bound = SocketAddress(host: configuration.listen.host, port: listener.localPort())
            state.listener = listener
            state.boundAddress = bound
            return bound
        }
    }

    /// Binds (if not yet) and starts accepting on a thread of its own, at once and independently of
    /// Swift's cooperative pool (idempotent). `run()` calls it; callers may call it earlier.
    @discardableResult
    public func start() throws -> SocketAddress {
        let address = try bind()
        let listener = state.withLock { state -> Socket? in
            guard !state.accepting else { return nil }
            state.accepting = true
            return state.listener
        }
        if let listener {
            logger.info("rpc server listening", metadata: ["address": "\(address)"])
            let thread = Thread { [self] in
                Thread.current.name = "rpc-accept"
                acceptLoop(listener)
            }
            thread.start()
        }
        return address
    }

    public func run() async throws {
        let address = try start()

        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await waitForAcceptLoop()
            } onCancel: {
                self.stopAccepting()
            }
        } onGracefulShutdown: {
            self.stopAccepting()
        }
        // Drain outside this task: when run() was cancelled, sleeps here would return at once.
        await Task.detached { await self.drain() }.value
        logger.info("rpc server stopped", metadata: ["address": "\(address)"])
    }

    private func waitForAcceptLoop() async {
        let done = acceptDone
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                Thread.current.name = "rpc-accept-wait"
                done.wait()
                continuation.resume()
            }
            thread.start()
        }
    }

    private func stopAccepting() {
        state.withLock { $0.stopping = true }
    }

    private func acceptLoop(_ listener: Socket) {
        defer {
            listener.close()
            acceptDone.signal()
        }
        while !state.withLock({ $0.stopping }) {
            do {
                guard let (socket, peer) = try listener.accept(timeoutMilliseconds: 100) else { continue }
                let connection = ServerConnection(server: self, socket: socket, peer: peer)
                let (refusal, dropped) = state.withLock { state -> (RPCError?, ServerConnection?) in
                    state.accepted += 1
                    if state.stopping { return (.unavailable("\(configuration.serviceName) is shutting down"), nil) }
                    var dropped: ServerConnection?
                    if state.handshaking.count >= configuration.maxHandshaking {
                        dropped = state.connections[state.handshaking.removeFirst()]
                    }
                    let id = ObjectIdentifier(connection)
                    state.connections[id] = connection
                    state.handshaking.append(id)
                    return (nil, dropped)
                }
                if let dropped {
                    logger.debug(
                        "dropping the oldest unauthenticated connection to make room", metadata: ["dropped": "\(dropped.peer)", "peer": "\(peer)"])
                    dropped.abandonHandshake()
                }
                if let refusal {
                    logger.warning("connection refused", metadata: ["peer": "\(peer)", "error": "\(refusal)"])
                    connection.refuseAndClose(refusal)
                } else {
                    connection.start()
                }
            } catch {
                logger.error("accept failed", metadata: ["error": "\(error)"])
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    /// Stops reading every connection, waits for in-flight calls up to the grace period, cancels the
    /// rest, and waits for every connection to close.
    private func drain() async {
        let connections = state.withLock { Array($0.connections.values) }
        for connection in connections { connection.beginDraining() }
        let deadline = ContinuousClock.now + configuration.shutdownGrace
        while stats.inFlight > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if stats.inFlight > 0 {
            logger.warning("shutdown grace period over; cancelling in-flight calls", metadata: ["in_flight": "\(stats.inFlight)"])
            for connection in connections { connection.cancelAll() }
        }
        while !state.withLock({ $0.connections.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Connections currently open (accepted and not yet closed).
    var connectionCount: Int { state.withLock { $0.connections.count } }

    /// A peer finished the handshake: it takes an authenticated slot, or gets the reason it cannot.
    func admit(_ connection: ServerConnection) -> RPCError? {
        let id = ObjectIdentifier(connection)
        return state.withLock { state -> RPCError? in
            guard let index = state.handshaking.firstIndex(of: id) else {
                return .unavailable("\(configuration.serviceName) dropped this connection during the handshake; connect again")
            }
            state.handshaking.remove(at: index)
            guard state.authenticated.count < configuration.maxConnections else {
                return .init(.resourceExhausted, "\(configuration.serviceName) already has \(configuration.maxConnections) connections")
            }
            state.authenticated.insert(id)
            return nil
        }
    }

    /// Connections accepted since start.
    var acceptedCount: Int { state.withLock { $0.accepted } }

    /// Connections in the handshake and authenticated ones, now.
    var connectionCounts: (handshaking: Int, authenticated: Int) {
        state.withLock { ($0.handshaking.count, $0.authenticated.count) }
    }

    func connectionClosed(_ connection: ServerConnection) {
        let id = ObjectIdentifier(connection)
        state.withLock { state in
            state.connections.removeValue(forKey: id)
            state.authenticated.remove(id)
            state.handshaking.removeAll { $0 == id }
        }
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    var clampedMilliseconds32: Int32 { Int32(clamping: max(0, milliseconds)) }
}
