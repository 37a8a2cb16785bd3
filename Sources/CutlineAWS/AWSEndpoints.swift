public import Foundation

/// A service Cutline talks to, with what its endpoint resolution needs.
public struct AWSService: Sendable, Hashable {
    /// The name in the signing scope (`s3`, `dynamodb`).
    public let signingName: String
    /// The service-specific endpoint variable, after the AWS SDKs' `AWS_ENDPOINT_URL_<SERVICE>`.
    public let endpointVariable: String

    public static let s3 = AWSService(signingName: "s3", endpointVariable: "AWS_ENDPOINT_URL_S3")
    public static let dynamoDB = AWSService(signingName: "dynamodb", endpointVariable: "AWS_ENDPOINT_URL_DYNAMODB")
    public static let sqs = AWSService(signingName: "sqs", endpointVariable: "AWS_ENDPOINT_URL_SQS")
}

/// Endpoint resolution as the AWS SDKs do it: the service-specific variable, else `AWS_ENDPOINT_URL`,
/// else the service's regional AWS endpoint.
public enum AWSEndpoints {
    public static let genericEndpointVariable = "AWS_ENDPOINT_URL"

    /// The endpoint for `service` in `region`, taking overrides from `env`.
    public static func resolve(
        _ service: AWSService,
        region: AWSRegion,
        env: [String: String]
    ) throws(AWSConfigurationError) -> URL {
        for variable in [service.endpointVariable, genericEndpointVariable] {
            if let value = env.nonEmpty(variable) {
                return try validated(value, variable: variable)
            }
        }
        return defaultEndpoint(service, region: region)
    }

    /// `https://<service>.<region>.amazonaws.com`.
    public static func defaultEndpoint(_ service: AWSService, region: AWSRegion) -> URL {
        // Both parts come from fixed names and a region; a region that does not make a host is a
        // configuration mistake the first request will report with the host in the message.
        let host = "\(service.signingName).\(region.rawValue).amazonaws.com"
        return URL(string: "https://\(host)") ?? URL(string: "https://\(service.signingName).amazonaws.com")!
    }

    private static func validated(_ value: String, variable: String) throws(AWSConfigurationError) -> URL {
        guard let url = URL(string: value),
            let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host(percentEncoded: false), !host.isEmpty
        else {
            throw .invalidEndpoint(variable: variable, value: value)
        }
        return url
    }
}
