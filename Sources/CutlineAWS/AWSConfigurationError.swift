/// A problem with the AWS settings taken from the environment, naming the variable at fault.
public struct AWSConfigurationError: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case missingVariable
        case invalidEndpoint
    }

    private let code: Code
    /// The environment variable (or variables, for alternatives) the error is about.
    public let variable: String
    /// The offending value, when there was one.
    public let value: String?

    private init(_ code: Code, variable: String, value: String?) {
        self.code = code
        self.variable = variable
        self.value = value
    }

    /// A required variable is unset or empty.
    public static func missingVariable(_ name: String) -> Self {
        Self(.missingVariable, variable: name, value: nil)
    }

    /// An endpoint variable does not hold an absolute http(s) URL with a host.
    public static func invalidEndpoint(variable: String, value: String) -> Self {
        Self(.invalidEndpoint, variable: variable, value: value)
    }

    public var description: String {
        switch code {
        case .missingVariable:
            "AWS configuration: \(variable) is not set"
        case .invalidEndpoint:
            "AWS configuration: \(variable)=\(value ?? "") is not an http(s) URL with a host"
        }
    }
}
