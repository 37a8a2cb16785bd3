/// An access key pair, with the session token that temporary (STS) credentials carry.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and the optional `AWS_SESSION_TOKEN`;
    /// an unset or empty required variable throws ``AWSConfigurationError/missingVariable(_:)``.
    public static func fromEnvironment(_ env: [String: String]) throws(AWSConfigurationError) -> AWSCredentials {
        guard let accessKeyID = env.nonEmpty("AWS_ACCESS_KEY_ID") else {
            throw .missingVariable("AWS_ACCESS_KEY_ID")
        }
        guard let secretAccessKey = env.nonEmpty("AWS_SECRET_ACCESS_KEY") else {
            throw .missingVariable("AWS_SECRET_ACCESS_KEY")
        }
        return AWSCredentials(
            accessKeyID: accessKeyID,
            secretAccessKey: secretAccessKey,
            sessionToken: env.nonEmpty("AWS_SESSION_TOKEN")
        )
    }

    /// Never shows the keys or the token (the key id only by its last four characters), so
    /// credentials printed, dumped or logged by accident give nothing away.
    public var description: String {
        "AWSCredentials(accessKeyID: …\(accessKeyID.suffix(4)), secretAccessKey: <redacted>"
            + (sessionToken == nil ? ")" : ", sessionToken: <redacted>)")
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}

extension [String: String] {
    /// The variable's value, treating an empty one as unset (as the AWS CLI and SDKs do).
    func nonEmpty(_ name: String) -> String? {
        guard let value = self[name], !value.isEmpty else { return nil }
        return value
    }
}
