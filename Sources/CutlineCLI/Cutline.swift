import ArgumentParser

@main
struct Cutline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutline",
        abstract: "Cutline's operator tool.",
        subcommands: [
            Health.self, Probe.self, Render.self, PreviewCommand.self, StorageCommand.self, DynamoDBCommand.self, OutboxCommand.self,
            JobsCommand.self, TextCommand.self, QueueCommand.self,
        ]
    )
}
