import CutlineAWS
import Foundation
import Testing

@Suite struct AWSConfigurationTests {
    @Test func credentialsComeFromTheStandardVariables() throws {
        let credentials = try AWSCredentials.fromEnvironment([
            "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET", "AWS_SESSION_TOKEN": "TOKEN",
        ])
        #expect(credentials == AWSCredentials(accessKeyID: "AKID", secretAccessKey: "SECRET", sessionToken: "TOKEN"))
    }

    @Test func emptySessionTokenIsNoToken() throws {
        let credentials = try AWSCredentials.fromEnvironment([
            "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET", "AWS_SESSION_TOKEN": "",
        ])
        #expect(credentials.sessionToken == nil)
    }

    @Test func missingAccessKeyIsNamed() {
        #expect(throws: AWSConfigurationError.missingVariable("AWS_ACCESS_KEY_ID")) {
            try AWSCredentials.fromEnvironment(["AWS_SECRET_ACCESS_KEY": "SECRET"])
        }
    }

    @Test func emptySecretIsNamed() throws {
        let error = #expect(throws: AWSConfigurationError.self) {
            try AWSCredentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": ""])
        }
        #expect(error?.description == "AWS configuration: AWS_SECRET_ACCESS_KEY is not set")
    }

    @Test func credentialsNeverPrintTheSecret() {
        let text = "\(AWSCredentials(accessKeyID: "AKID", secretAccessKey: "SECRET", sessionToken: "TOKEN"))"
        #expect(text.contains("AKID"))
        #expect(!text.contains("SECRET") && !text.contains("TOKEN"))
    }

    @Test func regionPrefersAWSRegionOverDefaultRegion() throws {
        #expect(try AWSRegion.fromEnvironment(["AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1"]).rawValue == "eu-west-1")
        #expect(try AWSRegion.fromEnvironment(["AWS_DEFAULT_REGION": "us-east-1"]).rawValue == "us-east-1")
    }

    @Test func missingRegionNamesBothVariables() {
        #expect(throws: AWSConfigurationError.missingVariable("AWS_REGION (or AWS_DEFAULT_REGION)")) {
            try AWSRegion.fromEnvironment([:])
        }
    }

    static let region = AWSRegion("eu-west-1")

    @Test func serviceSpecificEndpointWinsOverGeneric() throws {
        let env = [
            "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:2",
            "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:3",
        ]
        #expect(try AWSEndpoints.resolve(.s3, region: Self.region, env: env).absoluteString == "http://127.0.0.1:2")
        #expect(try AWSEndpoints.resolve(.dynamoDB, region: Self.region, env: env).absoluteString == "http://127.0.0.1:3")
    }

    @Test func genericEndpointServesEveryService() throws {
        let env = ["AWS_ENDPOINT_URL": "http://localhost:4566", "AWS_ENDPOINT_URL_S3": ""]
        #expect(try AWSEndpoints.resolve(.s3, region: Self.region, env: env).absoluteString == "http://localhost:4566")
        #expect(try AWSEndpoints.resolve(.dynamoDB, region: Self.region, env: env).absoluteString == "http://localhost:4566")
    }

    @Test func defaultEndpointsAreRegional() throws {
        #expect(try AWSEndpoints.resolve(.s3, region: Self.region, env: [:]).absoluteString == "https://s3.eu-west-1.amazonaws.com")
        #expect(
            try AWSEndpoints.resolve(.dynamoDB, region: Self.region, env: [:]).absoluteString
                == "https://dynamodb.eu-west-1.amazonaws.com")
    }

    @Test(arguments: ["localhost:9000", "ftp://h", "not a url", "http://"])
    func invalidEndpointNamesTheVariable(value: String) {
        #expect(throws: AWSConfigurationError.invalidEndpoint(variable: "AWS_ENDPOINT_URL_S3", value: value)) {
            try AWSEndpoints.resolve(.s3, region: Self.region, env: ["AWS_ENDPOINT_URL_S3": value])
        }
    }
}
