import ArgumentParser
import CutlineDynamoDB
import CutlineHTTP
import Foundation

/// `cutline dynamodb create-table`: creates the job status table named by CUTLINE_DYNAMODB_TABLE.
struct DynamoDBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dynamodb", abstract: "Set up the DynamoDB job status table.", subcommands: [CreateTable.self])

    struct CreateTable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-table", abstract: "Create the status table (keyed by job_id) if it does not exist, and wait until it is active.")

        @Option(help: "Table name. Env CUTLINE_DYNAMODB_TABLE.") var table: String?

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            guard let name = table ?? environment["CUTLINE_DYNAMODB_TABLE"], !name.isEmpty else {
                throw ValidationError("no table: set CUTLINE_DYNAMODB_TABLE or pass --table")
            }
            let http = try HTTPClient()
            defer { http.shutdown() }
            let sink = DynamoDBStatusSink(client: try DynamoDBClient(environment: environment, http: http), table: name)
            do {
                try await sink.createTable()
                for _ in 0..<60 where try await sink.client.describeTable(name) != "ACTIVE" {
                    try await Task.sleep(for: .seconds(1))
                }
                print("table \(name): \(try await sink.client.describeTable(name))")
            } catch let error as DynamoDBError {
                FileHandle.standardError.write(Data("cutline dynamodb: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
