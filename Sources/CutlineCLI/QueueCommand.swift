import ArgumentParser
import CutlineHTTP
import CutlineSQS
import Foundation

/// `cutline queue create|show`: the shared job queue on SQS and its dead-letter queue.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Set up and look at the SQS job queue (distributed mode).", subcommands: [Create.self, Show.self])

    static func client(queueURL: URL? = nil) throws -> (SQSClient, HTTPClient) {
        let http = try HTTPClient()
        return (try SQSClient(environment: ProcessInfo.processInfo.environment, queueURL: queueURL, http: http), http)
    }

    static func fail(_ error: any Error) -> ExitCode {
        FileHandle.standardError.write(Data("cutline queue: \(error)\n".utf8))
        return ExitCode(1)
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the job queue and its dead-letter queue (NAME-dead-letters) if they do not exist; print the queue's URL.",
            discussion: "Set the URL it prints as CUTLINE_SQS_QUEUE_URL on the Gateways and the MediaProcessors.")

        @Argument(help: "The queue's name (1–80 of a–z, A–Z, 0–9, '-', '_').") var name: String
        @Option(help: "Receives of one task before it is given up and its job fails render_crashed.") var deadLetterAfter = 3
        @Option(help: "Seconds a task stays invisible to other processors unless renewed (as CUTLINE_SQS_VISIBILITY_TIMEOUT).")
        var visibility = 60

        func validate() throws {
            guard (1...80).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) else {
                throw ValidationError("\"\(name)\" is not a queue name (1–80 of a–z, A–Z, 0–9, '-', '_')")
            }
            guard (1...1000).contains(deadLetterAfter) else { throw ValidationError("--dead-letter-after is 1 to 1000") }
            guard (5...43_200).contains(visibility) else { throw ValidationError("--visibility is 5 to 43200 seconds") }
        }

        func run() async throws {
            let (client, http) = try QueueCommand.client()
            defer { http.shutdown() }
            do {
                // Dead letters are kept the longest SQS allows, for an operator to look at.
                let deadLetters = try await client.createQueue("\(name)-dead-letters", attributes: ["MessageRetentionPeriod": "1209600"])
                guard let arn = try await client.attributes(deadLetters, names: ["QueueArn"])["QueueArn"] else {
                    throw QueueCommandError("the dead-letter queue \(deadLetters.absoluteString) has no ARN")
                }
                let redrive = #"{"deadLetterTargetArn":"\#(arn)","maxReceiveCount":"\#(deadLetterAfter)"}"#
                let attributes = ["VisibilityTimeout": "\(visibility)", "RedrivePolicy": redrive, "MessageRetentionPeriod": "1209600"]
                let queue = try await client.createQueue(name, attributes: attributes)
                // An existing queue takes the settings asked for now.
                try await client.setAttributes(queue, attributes)
                print(queue.absoluteString)
            } catch {
                throw QueueCommand.fail(error)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the queue's depth, its tasks in flight and its dead letters.")

        @Option(name: .customLong("sqs-queue-url"), help: "The queue. Env CUTLINE_SQS_QUEUE_URL.") var queueURL: String?

        func run() async throws {
            guard let text = queueURL ?? ProcessInfo.processInfo.environment["CUTLINE_SQS_QUEUE_URL"], let url = URL(string: text) else {
                throw ValidationError("no queue: set CUTLINE_SQS_QUEUE_URL or pass --sqs-queue-url")
            }
            let (client, http) = try QueueCommand.client(queueURL: url)
            defer { http.shutdown() }
            do {
                let attributes = try await client.attributes(url)
                print("queue \(url.absoluteString)")
                print(
                    "  waiting \(attributes["ApproximateNumberOfMessages"] ?? "?"), in flight \(attributes["ApproximateNumberOfMessagesNotVisible"] ?? "?")"
                )
                if let deadLetters = try await client.deadLetterQueue(of: url) {
                    let dead = try await client.attributes(deadLetters.url, names: ["ApproximateNumberOfMessages"])
                    print(
                        "  dead letters \(dead["ApproximateNumberOfMessages"] ?? "?") in \(deadLetters.url.absoluteString) (after \(deadLetters.maxReceiveCount) receives)"
                    )
                } else {
                    print("  no dead-letter queue")
                }
            } catch {
                throw QueueCommand.fail(error)
            }
        }
    }
}

struct QueueCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
