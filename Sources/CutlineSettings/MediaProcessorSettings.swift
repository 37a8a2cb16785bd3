public import ArgumentParser
public import Foundation

/// The MediaProcessor's job-runner settings.
public struct MediaOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("concurrent-jobs"), help: "Jobs rendered at a time; the rest wait in order. Env CUTLINE_MEDIA_CONCURRENT_JOBS, default 1.")
    public var concurrentJobs: String?

    @Option(
        name: .customLong("instance-name"),
        help: "This processor's name in the status of the tasks it renders. Env CUTLINE_INSTANCE_NAME, default HOST:PID.")
    public var instanceName: String?

    public init() {}
}

public struct MediaProcessorSettings: Sendable, Hashable {
    /// Each render decodes and encodes on its own threads, so more than the machine's cores only queues.
    public var concurrentJobs: Int
    /// Named in the status of the tasks this processor renders, so a person sees which processor made which clips.
    public var instanceName: String

    public init(concurrentJobs: Int = 1, instanceName: String = MediaProcessorSettings.defaultInstanceName) {
        self.concurrentJobs = concurrentJobs
        self.instanceName = instanceName
    }

    public static var defaultInstanceName: String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }

    public init(_ options: MediaOptions?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        concurrentJobs = try Setting(
            flag: "concurrent-jobs", env: "CUTLINE_MEDIA_CONCURRENT_JOBS", value: options?.concurrentJobs, environment: environment
        )
        .integer(default: 1, range: 1...64)
        let name = Setting(flag: "instance-name", env: "CUTLINE_INSTANCE_NAME", value: options?.instanceName, environment: environment)
        instanceName = name.string(default: Self.defaultInstanceName)
        guard instanceName.count <= 100, instanceName.allSatisfy({ $0.isLetter || $0.isNumber || "-_.:/@".contains($0) }) else {
            throw ValidationError("\(name.name): \"\(instanceName)\" is not an instance name; use up to 100 letters, digits and - _ . : / @")
        }
    }
}
