import CutlineBlobStore
import CutlineDynamoDB
public import CutlineHTTP
public import CutlineJobStore
public import CutlineOutbox
import CutlineS3
public import CutlineSQLite
public import CutlineSQS
public import CutlineSettings
import CutlineStatusStore
public import CutlineStorage
public import CutlineTextEngines
import Foundation

// The one place the swappable adapters are made from settings (plain values): the services'
// composition roots and the CLI call these, and nothing else branches on the run mode.

extension ServiceSettings {
    /// The object store and the status store these settings name, sharing one HTTP client when either
    /// needs one (S3, DynamoDB).
    public func makeStores() throws -> (objects: any ObjectStore, status: any StatusStore) {
        var http: HTTPClient?
        func shared() throws -> HTTPClient {
            if let http { return http }
            let client = try HTTPClient()
            http = client
            return client
        }
        return (try storage.makeObjectStore(http: shared), try status.makeStatusStore(http: shared))
    }

    /// The Gateway's stores: those of `makeStores`, and where it keeps its jobs (`makeJobStore`).
    public func makeGatewayStores(database: SQLiteDatabase) throws -> (objects: any ObjectStore, status: any StatusStore, jobs: any JobStore) {
        let http = try HTTPClient()
        let objects = try storage.makeObjectStore { http }
        return (objects, try status.makeStatusStore { http }, try status.makeJobStore(queue: queue, database: database, objects: objects) { http })
    }
}

extension StorageSettings {
    /// The store these settings name; `http` is asked for only when the store needs one.
    public func makeObjectStore(http: () throws -> HTTPClient) throws -> any ObjectStore {
        switch self {
        case .s3(let bucket, let environment, let publicEndpoint):
            var configuration = S3Client.Configuration()
            configuration.publicEndpoint = publicEndpoint
            return S3ObjectStore(client: try S3Client(bucket: bucket, environment: environment, http: try http(), configuration: configuration))
        case .embedded(let directory, let secretFile, let publicURL):
            let blobs = try BlobStore(root: directory, secret: try BlobSecret.load(secretFile))
            return EmbeddedObjectStore(blobs: blobs, publicURL: publicURL)
        }
    }
}

extension StatusSettings {
    /// The status store these settings name; `http` is asked for only for DynamoDB.
    public func makeStatusStore(http: () throws -> HTTPClient) throws -> any StatusStore {
        switch self {
        case .dynamoDB(let table, let keyAttribute, let environment):
            return DynamoDBStatusSink(
                client: try DynamoDBClient(environment: environment, http: try http()), table: table, keyAttribute: keyAttribute)
        case .embedded(let path):
            return try SQLiteStatusStore(path: path)
        }
    }
}

extension StatusSettings {
    /// Where the Gateway keeps its jobs. In the distributed mode (a DynamoDB table and the shared queue)
    /// it is the status table, so any Gateway answers for any job and its own database is only its
    /// outbox; otherwise that database, where each change commits with its status write.
    public func makeJobStore(
        queue: QueueSettings, database: SQLiteDatabase, objects: any ObjectStore, http: () throws -> HTTPClient
    ) throws -> any JobStore {
        guard case .dynamoDB(let table, let keyAttribute, let environment) = self, queue.isDistributed else {
            return SQLiteJobStore(database: database)
        }
        return DynamoDBJobStore(
            client: try DynamoDBClient(environment: environment, http: try http()), table: table, keyAttribute: keyAttribute,
            outbox: database, objects: objects)
    }
}

extension TextSettings {
    /// The engine, ready to use; its own checks (files found, key and model accepted) already made.
    public func makeEngine() async throws -> any TextEngine {
        switch engine {
        case .offline:
            return OfflineEngine()
        case .gemini:
            guard let key = geminiKey else {
                throw TextEngineError(.unauthenticated, "the gemini engine needs GEMINI_API_KEY")
            }
            return try await GeminiEngine.make(key: key, model: geminiModel ?? GeminiEngine.defaultModel, client: try HTTPClient())
        case .openai:
            guard let text = openAIURL, let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
            else {
                throw TextEngineError(
                    .badRequest,
                    "the openai engine needs CUTLINE_TEXT_OPENAI_URL, the server's base URL such as http://127.0.0.1:11434/v1 (got \(openAIURL ?? "nothing"))"
                )
            }
            guard let model = openAIModel else {
                throw TextEngineError(
                    .badRequest, "the openai engine needs CUTLINE_TEXT_OPENAI_MODEL (e.g. llama3.2 for Ollama, gpt-4o-mini for OpenAI)")
            }
            return try await OpenAIEngine.make(baseURL: url, model: model, key: openAIKey, client: try HTTPClient())
        }
    }
}

extension QueueSettings {
    /// The shared job queue these settings name (nil for the embedded hand-over over RPC), on its own HTTP
    /// client: a long poll holds a connection for seconds, and must not wait behind S3 transfers.
    public func makeJobQueue() throws -> SQSJobQueue? {
        guard case .sqs(let url, let visibility, _, let environment) = self else { return nil }
        var configuration = HTTPClient.Configuration()
        configuration.concurrency = 4
        let http = try HTTPClient(configuration: configuration)
        return SQSJobQueue(client: try SQSClient(environment: environment, queueURL: url, http: http), url: url, visibility: visibility)
    }
}
