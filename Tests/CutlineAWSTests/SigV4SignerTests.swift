import CutlineAWS
import Foundation
import Testing

@Suite struct SigV4SignerTests {
    static let instant = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
    static let keys = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    static func signer(_ service: String = "s3", token: String? = nil, options: SigV4Signer.Options? = nil) -> SigV4Signer {
        var credentials = keys
        credentials.sessionToken = token
        return SigV4Signer(
            credentials: credentials, region: AWSRegion("eu-west-1"), service: service, options: options,
            clock: { instant })
    }

    static func queryItems(_ url: URL) -> [(String, String)] {
        (URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []).map { ($0.name, $0.value ?? "") }
    }

    @Test func presignedPutKeepsPathAndQueryAndAppendsSigningParametersInOrder() throws {
        let url = try Self.signer().presignedURL(
            method: "PUT",
            url: URL(string: "http://127.0.0.1:8333/bucket/clips/a%20b.mp4?x-id=PutObject")!,
            headers: [("Content-Type", "video/mp4")],
            expires: .seconds(300))
        #expect(url.host() == "127.0.0.1")
        #expect(url.port == 8333)
        #expect(url.path(percentEncoded: true) == "/bucket/clips/a%20b.mp4")
        let items = Self.queryItems(url)
        #expect(
            items.map { $0.0 } == [
                "x-id", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires",
                "X-Amz-Signature",
            ])
        #expect(items[2].1 == "AKIDEXAMPLE/20150830/eu-west-1/s3/aws4_request")
        #expect(items[4].1 == "content-type;host")
        #expect(items[5].1 == "300")
        #expect(items[6].1.count == 64)
    }

    @Test func presignedS3RequestSignsUnsignedPayload() throws {
        let request = SigV4Request(method: "GET", authority: "h", path: "/b/k", payloadHash: SigV4Signer.unsignedPayload)
        let signing = try Self.signer().querySigning(request, expires: .seconds(60))
        #expect(signing.canonicalRequest.hasSuffix("\nhost\nUNSIGNED-PAYLOAD"))
        #expect(!signing.query.contains("Content-Sha256"))
    }

    @Test func sessionTokenIsSignedInHeaders() throws {
        let request = try SigV4Request(
            method: "GET", url: URL(string: "https://s3.eu-west-1.amazonaws.com/b/k")!,
            payloadHash: SigV4Signer.emptyPayloadHash)
        let added = try Self.signer(token: "TOKEN/+=").signHeaders(request: request)
        #expect(added.map { $0.name } == ["X-Amz-Date", "X-Amz-Content-Sha256", "X-Amz-Security-Token", "Authorization"])
        #expect(added[2].value == "TOKEN/+=")
        #expect(added[3].value.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"))
    }

    @Test func sessionTokenIsSignedInPresignedQuery() throws {
        let url = try Self.signer(token: "TOKEN/+=").presignedURL(
            method: "GET", url: URL(string: "https://example.com/k")!, expires: .seconds(60))
        let items = Self.queryItems(url)
        #expect(items.map { $0.0 }.suffix(2) == ["X-Amz-Security-Token", "X-Amz-Signature"])
        #expect(items.first { $0.0 == "X-Amz-Security-Token" }?.1 == "TOKEN/+=")
        #expect(url.query(percentEncoded: true)?.contains("X-Amz-Security-Token=TOKEN%2F%2B%3D") == true)
    }

    @Test func noSessionTokenMeansNoTokenHeader() throws {
        let request = SigV4Request(method: "GET", authority: "h", path: "/", payloadHash: SigV4Signer.emptyPayloadHash)
        let added = try Self.signer("dynamodb").signHeaders(request: request)
        #expect(added.map { $0.name } == ["X-Amz-Date", "Authorization"])
    }

    @Test(arguments: [Duration.zero, .seconds(604_801), .milliseconds(1500), .seconds(-5)])
    func presignRefusesExpiryOutsideOneSecondToSevenDays(expires: Duration) {
        #expect(throws: SigV4Error.invalidExpiry(expires)) {
            try Self.signer().presignedURL(method: "GET", url: URL(string: "https://h/k")!, expires: expires)
        }
    }

    @Test func presignAcceptsSevenDays() throws {
        _ = try Self.signer().presignedURL(method: "GET", url: URL(string: "https://h/k")!, expires: .seconds(604_800))
    }

    @Test func presignRefusesAnAlreadyPresignedURL() {
        #expect(throws: SigV4Error.reservedQueryParameter("X-Amz-Signature")) {
            try Self.signer().presignedURL(method: "GET", url: URL(string: "https://h/k?X-Amz-Signature=00")!, expires: .seconds(60))
        }
    }

    @Test(arguments: ["Authorization", "X-Amz-Date", "x-amz-security-token", "X-Amz-Content-Sha256"])
    func refusesHeadersTheSignerSets(name: String) {
        let request = SigV4Request(method: "GET", authority: "h", path: "/", headers: [(name, "x")], payloadHash: "")
        #expect(throws: SigV4Error.reservedHeader(name)) { try Self.signer().signHeaders(request: request) }
    }

    @Test func refusesANonHTTPURL() {
        #expect(throws: SigV4Error.invalidURL("file:///tmp/x")) {
            try SigV4Request(method: "GET", url: URL(string: "file:///tmp/x")!, payloadHash: "")
        }
    }

    @Test func neverSignsTransferEncodingOrUserAgent() throws {
        let request = SigV4Request(
            method: "PUT", authority: "h", path: "/b/k",
            headers: [("Transfer-Encoding", "chunked"), ("User-Agent", "cutline"), ("X-Amz-Meta-Job", "j1"), ("Content-Length", "5")],
            payloadHash: SigV4Signer.unsignedPayload)
        let authorization = try Self.signer().signHeaders(request: request).last?.value ?? ""
        #expect(authorization.contains("SignedHeaders=content-length;host;x-amz-content-sha256;x-amz-date;x-amz-meta-job,"))
    }

    @Test func essentialPolicySignsHostAmzContentTypeAndMD5Only() throws {
        var options = SigV4Signer.Options(service: "s3")
        options.signedHeaders = .essential
        let request = SigV4Request(
            method: "PUT", authority: "h", path: "/b/k",
            headers: [
                ("Content-Length", "5"), ("Content-Type", "video/mp4"), ("Content-MD5", "abc="), ("Range", "x"),
                ("x-amz-checksum-sha256", "def="),
            ],
            payloadHash: SigV4Signer.unsignedPayload)
        let authorization = try Self.signer(options: options).signHeaders(request: request).last?.value ?? ""
        #expect(
            authorization.contains(
                "SignedHeaders=content-md5;content-type;host;x-amz-checksum-sha256;x-amz-content-sha256;x-amz-date,"))
    }

    @Test func s3PathIsEncodedOnceAndNotNormalised() {
        #expect(Self.signer("s3").canonicalURI(path: "/b/a//./c%20d+e%7E") == "/b/a//./c%20d%2Be~")
    }

    @Test func otherServicesNormaliseAndEncodeThePathAgain() {
        #expect(Self.signer("dynamodb").canonicalURI(path: "/a/./b//c%20d") == "/a/b/c%2520d")
    }

    @Test func hostHeaderCarriesANonDefaultPortOnly() throws {
        let withPort = try SigV4Request(method: "GET", url: URL(string: "http://localhost:9000/b")!, payloadHash: "")
        let defaultPort = try SigV4Request(method: "GET", url: URL(string: "https://h.example:443/b")!, payloadHash: "")
        #expect(withPort.authority == "localhost:9000")
        #expect(defaultPort.authority == "h.example")
    }

    @Test func uriEncodingKeepsOnlyTheUnreservedSet() {
        #expect(AWSURIEncoding.encode("aZ09-._~ /+=&?%ሴ") == "aZ09-._~%20%2F%2B%3D%26%3F%25%E1%88%B4")
        #expect(AWSURIEncoding.encode("a/b c", keepSlash: true) == "a/b%20c")
        #expect(AWSURIEncoding.decode("%E1%88%B4%2f+") == "ሴ/+")
        #expect(AWSURIEncoding.decode("%G1") == nil)
    }
}
