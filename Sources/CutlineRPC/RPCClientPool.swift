import CutlineWire
public import Logging
import Synchronization

/// Calls to a service that runs as several instances (the MediaProcessors of a distributed deployment):
/// one client per address, calls spread round robin, and an instance that cannot be reached skipped for a
/// while. Addresses come from a list, and each name is resolved again from time to time, so a name that
/// resolves to several hosts (a Compose service scaled up) follows them. Every method called through a
/// pool must be safe to send twice: a call whose connection was lost is sent to the next instance.
public final class RPCClientPool: RPCCaller, Sendable {
    public struct Configuration: Sendable {
        /// Everything but the address, which each member takes from `targets`.
        public var client: RPCClientConfiguration
        public var targets: [SocketAddress]
        /// How long an instance that could not be reached is passed over.
        public var downFor: Duration = .seconds(5)
        /// How often names are resolved again.
        public var resolveEvery: Duration = .seconds(30)

        public init(client: RPCClientConfiguration, targets: [SocketAddress]) {
            self.client = client
            self.targets = targets
        }
    }

    private struct Member {
        let address: SocketAddress
        let client: RPCClient
        var downUntil: ContinuousClock.Instant?
    }

    private struct State {
        var members: [Member] = []
        var next = 0
        var resolvedAt: ContinuousClock.Instant?
        /// A lookup is under way: the other calls go on with the members they have.
        var resolving = false
        /// Each target's addresses when it last resolved.
        var lastResolved: [SocketAddress: [SocketAddress]] = [:]
    }

    public let configuration: Configuration
    let logger: Logger
    private let state = Mutex(State())

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    deinit { close() }

    /// The addresses calls go to now (each target's name resolved).
    public var addresses: [SocketAddress] { get async { await members().map(\.address) } }

    public func call<Request, Response>(
        _ method: RPCMethod<Request, Response>, _ request: Request, timeout: Duration? = nil
    ) async throws -> Response {
        let candidates = await members()
        guard !candidates.isEmpty else {
            throw RPCError(
                .unavailable, "no address for \(configuration.targets.map(\.description).joined(separator: ", ")) resolves",
                detail: RPCError.notConnected)
        }
        let now = ContinuousClock.now
        // Instances not known to be down first; if all are, every one is tried anyway.
        let up = candidates.filter { ($0.downUntil ?? now) <= now }
        let order = up.isEmpty ? candidates : up + candidates.filter { !up.map(\.address).contains($0.address) }
        var lastError: RPCError?
        for member in order {
            do {
                return try await member.client.call(method, request, timeout: timeout)
            } catch let error as RPCError
                where error.code == .unavailable && (error.detail == RPCError.notConnected || error.detail == RPCError.connectionLost)
            {
                markDown(member.address)
                logger.warning("an instance cannot be reached; trying the next", metadata: ["rpc_server": "\(member.address)", "error": "\(error)"])
                lastError = error
            }
        }
        throw lastError ?? RPCError(.unavailable, "no instance answered", detail: RPCError.notConnected)
    }

    /// Calls every instance (e.g. a cancel, which only the one rendering the job acts on); the answers,
    /// or the errors, per address.
    public func callAll<Request, Response>(
        _ method: RPCMethod<Request, Response>, _ request: Request, timeout: Duration? = nil
    ) async -> [(SocketAddress, Result<Response, any Error>)] where Request: Sendable, Response: Sendable {
        let members = await members()
        return await withTaskGroup(of: (SocketAddress, Result<Response, any Error>).self) { group in
            for member in members {
                group.addTask {
                    do {
                        return (member.address, .success(try await member.client.call(method, request, timeout: timeout)))
                    } catch {
                        return (member.address, .failure(error))
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    public func close() {
        let members = state.withLock { state in
            defer { state.members = [] }
            return state.members
        }
        for member in members { member.client.close() }
    }

    /// The members in the order the next call takes them, resolving names again when it is time. The
    /// lookup (getaddrinfo, which blocks for as long as the resolver takes) runs on a thread of its own,
    /// never on the caller's, and one call at a time does it while the others use the members they have.
    private func members() async -> [Member] {
        let now = ContinuousClock.now
        let resolveDue = state.withLock { state in
            guard state.resolvedAt.map({ now - $0 >= configuration.resolveEvery }) ?? true, !state.resolving || state.members.isEmpty else {
                return false
            }
            state.resolving = true
            return true
        }
        let resolved = resolveDue ? try? await onDedicatedThread(name: "rpc-resolve") { [self] in resolve() } : nil
        return state.withLock { state in
            if resolveDue { state.resolving = false }
            if let resolved {
                state.resolvedAt = now
                let kept = state.members.filter { resolved.contains($0.address) }
                for member in state.members where !resolved.contains(member.address) { member.client.close() }
                var members = kept
                for address in resolved where !kept.contains(where: { $0.address == address }) {
                    var client = configuration.client
                    client.address = address
                    members.append(Member(address: address, client: RPCClient(configuration: client, logger: logger), downUntil: nil))
                }
                state.members = members
            }
            guard !state.members.isEmpty else { return [] }
            let start = state.next % state.members.count
            state.next = (state.next + 1) % state.members.count
            return Array(state.members[start...] + state.members[..<start])
        }
    }

    private func markDown(_ address: SocketAddress) {
        let until = ContinuousClock.now + configuration.downFor
        state.withLock { state in
            if let index = state.members.firstIndex(where: { $0.address == address }) { state.members[index].downUntil = until }
        }
    }

    /// Every target's addresses (a name may resolve to several). A name that does not resolve now keeps
    /// the addresses it had (a resolver's hiccup does not drop live connections), or, never resolved,
    /// stays as it is, so the call's own error names it.
    private func resolve() -> [SocketAddress] {
        var addresses: [SocketAddress] = []
        for target in configuration.targets {
            var found = (try? Socket.resolveAll(target)) ?? []
            if found.isEmpty {
                found = state.withLock { $0.lastResolved[target] } ?? [target]
            } else {
                state.withLock { $0.lastResolved[target] = found }
            }
            for address in found where !addresses.contains(address) { addresses.append(address) }
        }
        return addresses
    }
}
