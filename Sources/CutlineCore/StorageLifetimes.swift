/// How long what people upload and make is kept: an upload that never finished is aborted after
/// `uploadTTL`; a job's source, clips and thumbnails are deleted `retention` after the job was created
/// (nil: kept until deleted by hand). The Gateway's sweeper applies them every `sweepInterval`; in S3
/// mode the bucket's lifecycle rule does too, in whole days.
public struct StorageLifetimes: Sendable, Hashable {
    public var uploadTTL: Duration
    public var retention: Duration?
    public var sweepInterval: Duration

    public init(uploadTTL: Duration = .seconds(24 * 3600), retention: Duration? = .seconds(7 * 86400), sweepInterval: Duration = .seconds(600)) {
        self.uploadTTL = uploadTTL
        self.retention = retention
        self.sweepInterval = sweepInterval
    }

    /// Whole days, rounded up, as S3's lifecycle rules count (at least one).
    public static func days(_ duration: Duration) -> Int {
        max(1, Int((duration.components.seconds + 86399) / 86400))
    }

    /// A duration in seconds, for date arithmetic.
    public static func seconds(_ duration: Duration) -> Double {
        duration.inSeconds
    }
}
