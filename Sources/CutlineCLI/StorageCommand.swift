import ArgumentParser
import CutlineAdapters
import CutlineCore
import CutlineHTTP
import CutlineS3
import CutlineSettings
import CutlineStorage
import Foundation

/// `cutline storage put|get|presign-put|presign-get|ls|rm`: the object store by hand — S3 when
/// CUTLINE_S3_BUCKET is set (with the standard AWS variables), else the embedded store in the data
/// directory. Failures print one line naming the key and the store's error code, and exit 1.
struct StorageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Put, get, list, delete and presign objects in Cutline's object store.",
        subcommands: [Put.self, Get.self, PresignPut.self, PresignGet.self, List.self, Remove.self, Lifecycle.self]
    )

    struct Target: ParsableArguments {
        @OptionGroup var common: CommonOptions
        @OptionGroup var storage: StorageOptions
    }

    /// Runs `body` on the configured store, turning its error into one line on stderr and exit code 1.
    static func run(_ target: Target, _ body: (any ObjectStore) async throws -> Void) async throws {
        let settings = try StorageSettings(target.storage, common: try ResolvedCommon(target.common))
        var http: HTTPClient?
        defer { http?.shutdown() }
        let store = try settings.makeObjectStore {
            let client = try HTTPClient()
            http = client
            return client
        }
        do {
            try await body(store)
        } catch let error as StorageError {
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
                try await store.put(key: key, file: URL(fileURLWithPath: file), contentType: contentType)
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
                try await store.get(key: key, range: nil, to: URL(fileURLWithPath: file))
            }
        }
    }

    struct PresignPut: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "presign-put", abstract: "Print a URL that allows one PUT of KEY.")
        @Argument var key: String
        @Option(help: "The content type the upload must have.") var contentType = "application/octet-stream"
        @Option(help: "The exact size in bytes the upload must have (signed too, when given).") var size: Int64?
        @Option(help: "Seconds the URL stays valid.") var expires = 900
        @OptionGroup var target: Target
        func run() async throws {
            try await StorageCommand.run(target) { store in
                print(try store.presignedPut(key: key, contentType: contentType, contentLength: size, expires: .seconds(expires)).url.absoluteString)
            }
        }
    }

    struct PresignGet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "presign-get", abstract: "Print a URL that allows GET of KEY.")
        @Argument var key: String
        @Option(help: "Seconds the URL stays valid.") var expires = 900
        @Option(help: "The file name a browser saves the download under.") var downloadName: String?
        @OptionGroup var target: Target
        func run() async throws {
            try await StorageCommand.run(target) { store in
                print(try store.presignedGet(key: key, downloadName: downloadName, expires: .seconds(expires)).absoluteString)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List keys under PREFIX, with sizes.")
        @Argument var prefix: String = ""
        @OptionGroup var target: Target
        func run() async throws {
            try await StorageCommand.run(target) { store in
                for object in try await store.list(prefix: prefix) { print("\(object.size)\t\(object.key)") }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete KEY.")
        @Argument var key: String
        @OptionGroup var target: Target
        func run() async throws {
            try await StorageCommand.run(target) { store in
                // Stores delete missing keys silently; a person who names one wants to hear of it.
                guard try await store.head(key: key) != nil else { throw StorageError(.noSuchKey, key: key, "no object with this key") }
                try await store.delete(key: key)
            }
        }
    }

    /// S3 only: the bucket's lifecycle rule, so S3 itself deletes what the Gateway's sweeper would.
    struct Lifecycle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the S3 bucket's lifecycle rule from CUTLINE_UPLOAD_TTL and CUTLINE_RETENTION (whole days) and print it.")
        @Option(name: .customLong("upload-ttl"), help: "Env CUTLINE_UPLOAD_TTL, default 24h.") var uploadTTL: String?
        @Option(name: .customLong("retention"), help: "Env CUTLINE_RETENTION, default 7d; off: no expiry.") var retention: String?
        @Flag(help: "Replace lifecycle rules in the bucket that are not Cutline's.") var replace = false
        @OptionGroup var target: Target
        func run() async throws {
            let lifetimes = try StorageLifetimes(uploadTTL: uploadTTL, retention: retention)
            try await StorageCommand.run(target) { store in
                guard let s3 = store as? S3ObjectStore else {
                    throw ValidationError(
                        "the embedded store has no lifecycle rule: the Gateway's sweeper applies CUTLINE_UPLOAD_TTL and CUTLINE_RETENTION to it. Set CUTLINE_S3_BUCKET for S3."
                    )
                }
                for rule in try await s3.applyLifetimes(lifetimes, replace: replace) {
                    let what = [
                        rule.abortIncompleteUploadDays.map { "abort unfinished uploads after \($0) d" },
                        rule.expirationDays.map { "expire after \($0) d" },
                    ].compactMap { $0 }.joined(separator: ", ")
                    print("\(rule.id): \(rule.prefix)* \(what)")
                }
            }
        }
    }
}
