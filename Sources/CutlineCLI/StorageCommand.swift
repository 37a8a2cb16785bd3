import ArgumentParser
import CutlineBlobStore
import CutlineHTTP
import CutlineS3
import CutlineServiceHost
import Foundation

/// `cutline storage put|get|presign-put|presign-get|ls|rm`: the object store by hand — S3 when
/// CUTLINE_S3_BUCKET is set (with the standard AWS variables), else the embedded store in the data
/// directory. Failures print one line naming the key and the store's error code, and exit 1.
struct StorageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Put, get, list, delete and presign objects in Cutline's object store.",
        subcommands: [Put.self, Get.self, PresignPut.self, PresignGet.self, List.self, Remove.self]
    )

    struct Target: ParsableArguments {
        @OptionGroup var common: CommonOptions

        @Option(help: "The Gateway's public base URL, for embedded-store presigned URLs. Env CUTLINE_PUBLIC_URL, default http://127.0.0.1:8080.")
        var publicURL: String?
    }

    enum Store {
        case s3(S3Client, HTTPClient)
        case embedded(BlobStore, base: URL)

        static func open(_ target: Target) throws -> Store {
            let environment = ProcessInfo.processInfo.environment
            if let bucket = environment["CUTLINE_S3_BUCKET"], !bucket.isEmpty {
                let http = try HTTPClient()
                return .s3(try S3Client(bucket: bucket, environment: environment, http: http), http)
            }
            let settings = try ResolvedCommon(target.common)
            let root = URL(fileURLWithPath: settings.dataDirectory)
            let base = URL(string: target.publicURL ?? environment["CUTLINE_PUBLIC_URL"] ?? "http://127.0.0.1:8080")
            guard let base, base.scheme != nil else { throw ValidationError("CUTLINE_PUBLIC_URL (--public-url) is not a URL") }
            return .embedded(try BlobStore(root: root.appendingPathComponent("blobs"), secret: try BlobSecret.load(dataDirectory: root)), base: base)
        }

        func close() {
            if case .s3(_, let http) = self { http.shutdown() }
        }
    }

    /// Runs `body`, turning a store's error into one line on stderr and exit code 1.
    static func run(_ target: Target, _ body: (Store) async throws -> Void) async throws {
        let store = try Store.open(target)
        defer { store.close() }
        do {
            try await body(store)
        } catch let error as S3Error {
            FileHandle.standardError.write(Data("cutline storage: \(error)\n".utf8))
            throw ExitCode(1)
        } catch let error as BlobStoreError {
            FileHandle.standardError.write(Data("cutline storage: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Upload FILE as KEY.")
        @Argument var file: String
        @Argument var key: String
        @Option(help: "Content type.") var contentType = "application/octet-stream"
        @OptionGroup var target: Target
        func run() async throws {
            guard FileManager.default.fileExists(atPath: file) else { throw ValidationError("no such file: \(file)") }
            try await StorageCommand.run(target) { store in
                switch store {
                case .s3(let client, _): try await client.putObject(key: key, file: file, contentType: contentType)
                case .embedded(let blobs, _): try blobs.put(key: key, from: URL(fileURLWithPath: file))
                }
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download KEY to FILE.")
        @Argument var key: String
        @Argument var file: String
        @OptionGroup var target: Target
        func run() async throws {
            try await StorageCommand.run(target) { store in
                switch store {
                case .s3(let client, _): try await client.getObject(key: key, to: file)
                case .embedded(let blobs, _):
                    let source = try blobs.file(key: key)
                    try? FileManager.default.removeItem(atPath: file)
                    try FileManager.default.copyItem(at: source, to: URL(fileURLWithPath: file))
                }
            }
        }
    }

    struct PresignPut: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "presign-put", abstract: "Print a URL that allows one PUT of KEY.")
        @Argument var key: String
        @Option(help: "The content type the upload must have.") var contentType = "application/octet-stream"
        @Option(help: "Seconds the URL stays valid.") var expires = 900
        @OptionGroup var target: Target
        func run() async throws {
            try await StorageCommand.run(target) { store in
                switch store {
                case .s3(let client, _): print(try client.presignedPut(key: key, contentType: contentType, expires: .seconds(expires)).absoluteString)
                case .embedded(let blobs, let base):
                    print(try blobs.presign(method: "PUT", key: key, base: base, expires: .seconds(expires), contentType: contentType).absoluteString)
                }
            }
        }
    }

    struct PresignGet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "presign-get", abstract: "Print a URL that allows GET of KEY.")
        @Argument var key: String
        @Option(help: "Seconds the URL stays valid.") var expires = 900
        @OptionGroup var target: Target
        func run() async throws {
            try await StorageCommand.run(target) { store in
                switch store {
                case .s3(let client, _): print(try client.presignedGet(key: key, expires: .seconds(expires)).absoluteString)
                case .embedded(let blobs, let base): print(try blobs.presign(method: "GET", key: key, base: base, expires: .seconds(expires)).absoluteString)
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List keys under PREFIX, with sizes.")
        @Argument var prefix: String = ""
        @OptionGroup var target: Target
        func run() async throws {
            try await StorageCommand.run(target) { store in
                switch store {
                case .s3(let client, _):
                    for object in try await client.listObjects(prefix: prefix) { print("\(object.size)\t\(object.key)") }
                case .embedded(let blobs, _):
                    for key in try blobs.list(prefix: prefix) { print("\(try blobs.size(key: key) ?? 0)\t\(key)") }
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete KEY.")
        @Argument var key: String
        @OptionGroup var target: Target
        func run() async throws {
            try await StorageCommand.run(target) { store in
                switch store {
                case .s3(let client, _):
                    // S3 deletes are silent for missing keys; say so like the embedded store does.
                    guard try await client.headObject(key: key) != nil else { throw S3Error(code: "NoSuchKey", message: "no object with this key", key: key, status: 404) }
                    try await client.deleteObject(key: key)
                case .embedded(let blobs, _): try blobs.delete(key: key)
                }
            }
        }
    }
}

/// The embedded store's signing secret: DATA_DIR/blob.secret, created on first use.
enum BlobSecret {
    static func load(dataDirectory: URL) throws -> Data {
        let path = dataDirectory.appendingPathComponent("blob.secret")
        if let data = try? Data(contentsOf: path), data.count >= 16 { return data }
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        let secret = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let temporary = dataDirectory.appendingPathComponent("blob.secret.\(ProcessInfo.processInfo.processIdentifier)")
        try secret.write(to: temporary)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: temporary.path)
        // link() fails if another process created it meanwhile; then its secret wins.
        _ = link(temporary.path, path.path)
        unlink(temporary.path)
        return try Data(contentsOf: path)
    }
}
