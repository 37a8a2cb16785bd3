/// An AWS region name such as `us-east-1`; it goes into the signing scope and the default endpoints.
public struct AWSRegion: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(_ name: String) {
        self.rawValue = name
    }

    /// `AWS_REGION`, else `AWS_DEFAULT_REGION` (the order the AWS SDKs use).
    public static func fromEnvironment(_ env: [String: String]) throws(AWSConfigurationError) -> AWSRegion {
        guard let name = env.nonEmpty("AWS_REGION") ?? env.nonEmpty("AWS_DEFAULT_REGION") else {
            throw .missingVariable("AWS_REGION (or AWS_DEFAULT_REGION)")
        }
        return AWSRegion(name)
    }

    public var description: String { rawValue }
}
