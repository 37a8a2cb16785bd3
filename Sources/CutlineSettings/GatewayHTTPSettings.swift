public import ArgumentParser
public import CutlineCore
public import CutlineRPC
public import Foundation

/// The Gateway's HTTP settings.
public struct GatewayOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("http-listen"),
        help: "Address to serve HTTP (the API and the page) on, HOST:PORT. Env CUTLINE_GATEWAY_HTTP_LISTEN, default 127.0.0.1:8080.")
    public var httpListen: String?

    @Option(
        name: .customLong("upload-max-bytes"), help: "Largest upload accepted, in bytes. Env CUTLINE_UPLOAD_MAX_BYTES, default 4294967296 (4 GiB).")
    public var uploadMaxBytes: String?

    @Option(
        name: .customLong("upload-multipart-threshold"),
        help: "Uploads from this size on go up in parts, in bytes. Env CUTLINE_UPLOAD_MULTIPART_THRESHOLD, default 67108864 (64 MiB).")
    public var uploadMultipartThreshold: String?

    @Option(
        name: .customLong("media-address"),
        help:
            "The MediaProcessors' RPC address, HOST:PORT; several separated by commas, or a name that resolves to several hosts. Env CUTLINE_MEDIA_ADDRESS, default 127.0.0.1:7420."
    )
    public var mediaAddress: String?

    @Option(name: .customLong("text-address"), help: "The TextService's RPC address, HOST:PORT. Env CUTLINE_TEXT_ADDRESS, default 127.0.0.1:7430.")
    public var textAddress: String?

    @Option(name: .customLong("api-token"), help: "When set, every /api call needs 'Authorization: Bearer TOKEN'. Env CUTLINE_API_TOKEN.")
    public var apiToken: String?

    @Option(
        name: .customLong("api-open"),
        help:
            "true: serve the API without a token on an address other machines reach (e.g. behind an authenticating proxy). Env CUTLINE_API_OPEN, default false."
    )
    public var apiOpen: String?

    @Option(
        name: .customLong("http-header-timeout"),
        help: "Seconds a new connection has to send its request's head. Env CUTLINE_HTTP_HEADER_TIMEOUT, default 10.")
    public var headerTimeout: String?

    @Option(
        name: .customLong("http-body-timeout"),
        help: "Seconds a request's body may take, plus one for every KiB received. Env CUTLINE_HTTP_BODY_TIMEOUT, default 30.")
    public var bodyTimeout: String?

    @Option(
        name: .customLong("http-idle-timeout"),
        help: "Seconds a kept-alive connection may wait for its next request. Env CUTLINE_HTTP_IDLE_TIMEOUT, default 60.")
    public var idleTimeout: String?

    @Option(
        name: .customLong("http-max-connections"),
        help: "Most HTTP connections open at once; more wait to be accepted. Env CUTLINE_HTTP_MAX_CONNECTIONS, default 4096.")
    public var maxConnections: String?

    @Option(
        name: .customLong("upload-ttl"),
        help: "An upload not finished this long after it began is aborted (90s, 30m, 24h, 7d). Env CUTLINE_UPLOAD_TTL, default 24h.")
    public var uploadTTL: String?

    @Option(
        name: .customLong("retention"),
        help: "A job's source, clips and thumbnails are deleted this long after it was created, or off. Env CUTLINE_RETENTION, default 7d.")
    public var retention: String?

    @Option(
        name: .customLong("sweep-interval"),
        help: "How often expired uploads and files are looked for. Env CUTLINE_SWEEP_INTERVAL, default 10m.")
    public var sweepInterval: String?

    public init() {}
}

/// How long each phase of an HTTP connection may take, and how many connections may be open: so that
/// clients that connect and then send slowly (slowloris) or not at all cannot hold the server.
public struct HTTPConnectionLimits: Sendable, Hashable {
    /// From the connection's start to its first request's complete head.
    public var headerTimeout: Duration
    /// How long a request's body may take, extended by a second for every KiB that arrives.
    public var bodyTimeout: Duration
    /// From a response's end to the next request's head, on a kept-alive connection.
    public var idleTimeout: Duration
    public var maxConnections: Int

    public init(
        headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(60), maxConnections: Int = 4096
    ) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }
}

public struct GatewayHTTPSettings: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// Where links point (clip downloads, the embedded store's signed URLs).
    public var publicURL: URL
    public var maxUploadBytes: Int64
    public var multipartThreshold: Int64
    public var apiToken: String?
    /// Declared open: no token although the address is reachable from other machines.
    public var apiOpen: Bool
    /// The MediaProcessors: one or several addresses, or a name that resolves to several hosts.
    public var mediaAddresses: [SocketAddress]
    public var textAddress: SocketAddress
    public var connections: HTTPConnectionLimits
    public var lifetimes: StorageLifetimes

    public init(_ options: GatewayOptions?, publicURL: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func setting(_ flag: String, _ env: String, _ value: String?) -> Setting {
            Setting(flag: flag, env: env, value: value, environment: environment)
        }
        let listen = setting("http-listen", "CUTLINE_GATEWAY_HTTP_LISTEN", options?.httpListen)
        let text = listen.string(default: "127.0.0.1:8080")
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port),
            !text[..<colon].isEmpty
        else {
            throw ValidationError("\(listen.name): \"\(text)\" is not HOST:PORT")
        }
        host = String(text[..<colon])
        self.port = port
        self.publicURL = try Setting(flag: "public-url", env: "CUTLINE_PUBLIC_URL", value: publicURL, environment: environment).publicURL()
        maxUploadBytes = Int64(
            try setting("upload-max-bytes", "CUTLINE_UPLOAD_MAX_BYTES", options?.uploadMaxBytes)
                .integer(default: 4 << 30, range: 1...(5 << 40)))
        multipartThreshold = Int64(
            try setting("upload-multipart-threshold", "CUTLINE_UPLOAD_MULTIPART_THRESHOLD", options?.uploadMultipartThreshold)
                .integer(default: 64 << 20, range: (5 << 20)...(5 << 30)))
        let token = setting("api-token", "CUTLINE_API_TOKEN", options?.apiToken)
        if let value = token.raw, value.count < 16 {
            throw ValidationError("\(token.name): a token of at least 16 characters, so it cannot be guessed")
        }
        apiToken = token.raw
        // Secure by default: an API other machines can reach needs a token, or the operator's word that
        // it is meant to be open.
        let open = setting("api-open", "CUTLINE_API_OPEN", options?.apiOpen)
        apiOpen = try open.boolean(default: false)
        if apiToken == nil, !apiOpen, !Self.isLoopback(host) {
            throw ValidationError(
                "\(listen.name) is \(text), which other machines can reach, and no CUTLINE_API_TOKEN is set: set CUTLINE_API_TOKEN (16 or more characters), or \(open.name)=true if the API is meant to be open (e.g. behind a proxy that authenticates)"
            )
        }
        let media = setting("media-address", "CUTLINE_MEDIA_ADDRESS", options?.mediaAddress)
        do {
            mediaAddresses = try media.string(default: "127.0.0.1:7420").split(separator: ",").map {
                try SocketAddress(parsing: $0.trimmingCharacters(in: .whitespaces))
            }
        } catch {
            throw ValidationError("\(media.name): \(error) (several processors: HOST:PORT,HOST:PORT)")
        }
        guard !mediaAddresses.isEmpty else { throw ValidationError("\(media.name): no address (HOST:PORT, or several separated by commas)") }
        let textService = setting("text-address", "CUTLINE_TEXT_ADDRESS", options?.textAddress)
        do {
            textAddress = try SocketAddress(parsing: textService.string(default: "127.0.0.1:7430"))
        } catch {
            throw ValidationError("\(textService.name): \(error)")
        }
        connections = HTTPConnectionLimits(
            headerTimeout: try setting("http-header-timeout", "CUTLINE_HTTP_HEADER_TIMEOUT", options?.headerTimeout).seconds(
                default: 10, range: 0.1...300),
            bodyTimeout: try setting("http-body-timeout", "CUTLINE_HTTP_BODY_TIMEOUT", options?.bodyTimeout).seconds(default: 30, range: 0.1...600),
            idleTimeout: try setting("http-idle-timeout", "CUTLINE_HTTP_IDLE_TIMEOUT", options?.idleTimeout).seconds(default: 60, range: 0.1...3600),
            maxConnections: try setting("http-max-connections", "CUTLINE_HTTP_MAX_CONNECTIONS", options?.maxConnections)
                .integer(default: 4096, range: 1...1_000_000))
        lifetimes = try StorageLifetimes(
            uploadTTL: options?.uploadTTL, retention: options?.retention, sweepInterval: options?.sweepInterval, environment: environment)
    }
}

extension GatewayHTTPSettings {
    /// A listen host that only this machine reaches: a loopback address or name.
    public static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if name == "localhost" || name == "::1" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

extension Setting {
    /// An http(s) URL with a host (CUTLINE_PUBLIC_URL), default http://127.0.0.1:8080.
    func publicURL() throws -> URL {
        let text = string(default: "http://127.0.0.1:8080")
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme.lowercased()), url.host != nil else {
            throw ValidationError("\(name): \"\(text)\" is not an http(s) URL")
        }
        return url
    }
}
