/// An access key pair, with the session token that temporary (STS) credentials carry.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible {
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

    /// Never shows the secret or the token, so credentials can be logged by accident without harm.
    public var description: String {
        "AWSCredentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>"
            + (sessionToken == nil ? ")" : ", sessionToken: <redacted>)")
    }
}

extension [String: String] {
    /// The variable's value, treating an empty one as unset (as the AWS CLI and SDKs do).
    func nonEmpty(_ name: String) -> String? {
        guard let value = self[name], !value.isEmpty else { return nil }
        return value
    }
}
