public import CutlineRPC

/// Methods every Cutline service serves, whatever else it does.
public enum SystemContract {
    /// Liveness and load: the service's name, version, uptime and calls in flight.
    public static let health = RPCMethod<HealthRequest, HealthResponse>("system.health")
}

public struct HealthRequest: Codable, Sendable, Hashable {
    public init() {}
}

public struct HealthResponse: Codable, Sendable, Hashable {
    /// `gateway`, `media` or `text`.
    public var name: String
    public var version: String
    public var uptimeSeconds: Double
    public var inFlight: Int

    public init(name: String, version: String, uptimeSeconds: Double, inFlight: Int) {
        self.name = name
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.inFlight = inFlight
    }

    enum CodingKeys: String, CodingKey {
        case name, version
        case uptimeSeconds = "uptime_seconds"
        case inFlight = "in_flight"
    }
}

extension RPCRouter {
    /// Registers `system.health`, answered from the server's live figures.
    public mutating func registerHealth() {
        register(SystemContract.health) { _, context in
            // This call itself is in flight; report the others.
            HealthResponse(
                name: context.server.name, version: context.server.version,
                uptimeSeconds: Double(context.server.uptime.components.seconds)
                    + Double(context.server.uptime.components.attoseconds) / 1e18,
                inFlight: max(0, context.server.inFlight - 1)
            )
        }
    }
}
