public import ArgumentParser
public import Foundation

/// The MediaProcessor's job-runner settings.
public struct MediaOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("concurrent-jobs"), help: "Jobs rendered at a time; the rest wait in order. Env CUTLINE_MEDIA_CONCURRENT_JOBS, default 1.")
    public var concurrentJobs: String?

    public init() {}
}

public struct MediaProcessorSettings: Sendable, Hashable {
    /// Each render decodes and encodes on its own threads, so more than the machine's cores only queues.
    public var concurrentJobs: Int

    public init(concurrentJobs: Int = 1) {
        self.concurrentJobs = concurrentJobs
    }

    public init(_ options: MediaOptions?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        concurrentJobs = try Setting(
            flag: "concurrent-jobs", env: "CUTLINE_MEDIA_CONCURRENT_JOBS", value: options?.concurrentJobs, environment: environment
        )
        .integer(default: 1, range: 1...64)
    }
}
