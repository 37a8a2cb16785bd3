import CutlineAWS
import Foundation
import Testing

/// The worked examples in the Amazon S3 API reference ("Signature Calculations for the Authorization
/// Header: Transferring Payload in a Single Chunk" and "Authenticating Requests: Using Query
/// Parameters"): S3's signing rules (single path encoding, X-Amz-Content-Sha256) that the generic
/// suite does not cover.
@Suite struct S3DocumentationExampleTests {
    static let signer = SigV4Signer(
        credentials: AWSCredentials(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE",
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ),
        region: AWSRegion("us-east-1"),
        service: .s3,
        clock: { Date(timeIntervalSince1970: 1_369_353_600) }  // 2013-05-24T00:00:00Z
    )

    static func authorization(
        _ method: String,
        _ url: String,
        headers: [(name: String, value: String)] = [],
        payloadHash: String = SigV4Signer.emptyPayloadHash
    ) throws -> String? {
        let request = try SigV4Request(method: method, url: URL(string: url)!, headers: headers, payloadHash: payloadHash)
        return try signer.signHeaders(request: request).first { $0.name == "Authorization" }?.value
    }

    static func expected(_ signedHeaders: String, _ signature: String) -> String {
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    @Test func getObjectWithRange() throws {
        let authorization = try Self.authorization(
            "GET", "https://examplebucket.s3.amazonaws.com/test.txt", headers: [("Range", "bytes=0-9")])
        #expect(
            authorization
                == Self.expected(
                    "host;range;x-amz-content-sha256;x-amz-date",
                    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"))
    }

    @Test func putObjectEncodesTheDollarInTheKeyOnce() throws {
        let body = Data("Welcome to Amazon S3.".utf8)
        #expect(SigV4Signer.payloadHash(body) == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let authorization = try Self.authorization(
            "PUT", "https://examplebucket.s3.amazonaws.com/test$file.text",
            headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
            payloadHash: SigV4Signer.payloadHash(body))
        #expect(
            authorization
                == Self.expected(
                    "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"))
    }

    @Test func getBucketLifecycleSignsAParameterWithoutValue() throws {
        let authorization = try Self.authorization("GET", "https://examplebucket.s3.amazonaws.com/?lifecycle")
        #expect(
            authorization
                == Self.expected(
                    "host;x-amz-content-sha256;x-amz-date",
                    "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"))
    }

    @Test func listObjectsSortsTheQuery() throws {
        let authorization = try Self.authorization("GET", "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J")
        #expect(
            authorization
                == Self.expected(
                    "host;x-amz-content-sha256;x-amz-date",
                    "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))
    }

    @Test func presignedGetObject() throws {
        let url = try Self.signer.presignedURL(
            method: "GET", url: URL(string: "https://examplebucket.s3.amazonaws.com/test.txt")!, expires: .seconds(86400))
        let components = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false))
        #expect(components.host == "examplebucket.s3.amazonaws.com")
        #expect(components.path == "/test.txt")
        let items = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(
            items == [
                "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
                "X-Amz-Credential": "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
                "X-Amz-Date": "20130524T000000Z",
                "X-Amz-Expires": "86400",
                "X-Amz-SignedHeaders": "host",
                "X-Amz-Signature": "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
            ])
    }
}
