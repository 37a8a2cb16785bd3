public import ArgumentParser
public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where files are kept, for the services and the CLI alike.
public struct StorageOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("s3-bucket"),
        help: "Keep files in this S3 bucket (with the standard AWS variables). Env CUTLINE_S3_BUCKET. Unset: the embedded store in DATA_DIR/blobs.")
    public var s3Bucket: String?

    @Option(
        name: .customLong("public-url"),
        help: "The Gateway's public base URL, for links and embedded-store signed URLs. Env CUTLINE_PUBLIC_URL, default http://127.0.0.1:8080.")
    public var publicURL: String?

    public init() {}
}

/// The resolved object-store choice, a plain value: one setting decides it, and `CutlineAdapters`
/// makes the store it names.
public enum StorageSettings: Sendable, Hashable {
    /// S3 or any S3 API: the bucket, the environment the AWS variables are read from, and the endpoint
    /// the URLs it signs for browsers point at when they reach S3 by another name than the services.
    case s3(bucket: String, environment: [String: String], publicEndpoint: URL?)
    /// The embedded store: its directory, the file holding its signing secret, and the Gateway's
    /// public URL its signed URLs point at.
    case embedded(directory: URL, secretFile: URL, publicURL: URL)

    public init(_ options: StorageOptions, common: ResolvedCommon, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        try self.init(s3Bucket: options.s3Bucket, publicURL: options.publicURL, common: common, environment: environment)
    }

    /// From flag values (nil: not given), the environment, and the defaults.
    public init(
        s3Bucket: String?, publicURL: String?, common: ResolvedCommon, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        let bucket = Setting(flag: "s3-bucket", env: "CUTLINE_S3_BUCKET", value: s3Bucket, environment: environment)
        if let name = bucket.raw {
            // S3's own rule for bucket names, checked here so the mistake is named at start.
            let valid =
                (3...63).contains(name.count) && name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "." }
                && name.first.map { $0.isLetter || $0.isNumber } == true
            guard valid else {
                throw ValidationError("\(bucket.name): \"\(name)\" is not an S3 bucket name (3–63 lower-case letters, digits, '-' and '.')")
            }
            let endpoint = Setting(flag: "s3-public-endpoint", env: "CUTLINE_S3_PUBLIC_ENDPOINT", value: nil, environment: environment)
            var publicEndpoint: URL?
            if let text = endpoint.raw {
                guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host() != nil,
                    url.query == nil, url.path.isEmpty || url.path == "/"
                else {
                    throw ValidationError("\(endpoint.name): \"\(text)\" is not an S3 endpoint (http(s)://HOST[:PORT], e.g. http://127.0.0.1:8333)")
                }
                publicEndpoint = url
            }
            self = .s3(bucket: name, environment: awsVariables(environment), publicEndpoint: publicEndpoint)
            return
        }
        let url = try Setting(flag: "public-url", env: "CUTLINE_PUBLIC_URL", value: publicURL, environment: environment).publicURL()
        let data = URL(fileURLWithPath: common.dataDirectory)
        self = .embedded(directory: data.appendingPathComponent("blobs"), secretFile: data.appendingPathComponent("blob.secret"), publicURL: url)
    }

    /// The Gateway's public base URL (embedded mode), for the links it gives out.
    public var publicURL: URL? {
        if case .embedded(_, _, let url) = self { return url }
        return nil
    }
}

/// The embedded store's signing secret: 32 random bytes in a file of the data directory, created on
/// first use (readable by its owner only) by whichever process needs it first.
public enum BlobSecret {
    public static func load(_ path: URL) throws -> Data {
        let directory = path.deletingLastPathComponent()
        do {
            try PrivateFiles.directory(directory.path)
        } catch {
            throw ValidationError("\(error)")
        }
        if let data = try? Data(contentsOf: path), data.count >= 16 { return data }
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let temporary = directory.appendingPathComponent("\(path.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        unlink(temporary.path)
        do {
            _ = try PrivateFiles.writeNew(temporary.path, secret)
        } catch {
            throw ValidationError("cannot write the blob store secret: \(error)")
        }
        // link() fails if another process created the file meanwhile; then its secret wins.
        _ = link(temporary.path, path.path)
        unlink(temporary.path)
        return try Data(contentsOf: path)
    }
}
