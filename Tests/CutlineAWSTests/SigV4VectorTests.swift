import CutlineAWS
import Foundation
import Testing

/// AWS's own SigV4 test suite: each stage must equal the suite's text exactly.
@Suite struct SigV4VectorTests {
    @Test func suiteIsPresent() {
        #expect(SigV4Vector.all.count == 38)
    }

    @Test(arguments: SigV4Vector.all)
    func headerSigningMatchesTheSuite(name: String) throws {
        let vector = try SigV4Vector(name: name)
        let signing = try vector.signer().headerSigning(vector.sigV4Request())

        #expect(try signing.canonicalRequest == vector.file("header-canonical-request.txt"))
        #expect(try signing.stringToSign == vector.file("header-string-to-sign.txt"))
        #expect(try signing.signature == vector.file("header-signature.txt"))

        // The signed request is the original plus exactly the headers the signer added.
        let signed = ParsedRequest(try vector.file("header-signed-request.txt"))
        let expectedAuthorization = signed.headers.first { $0.name == "Authorization" }?.value
        let authorization = signing.addedHeaders.first { $0.name == "Authorization" }?.value
        #expect(authorization == expectedAuthorization)
        #expect(signed.headers.count == vector.request.headers.count + signing.addedHeaders.count)
        for added in signing.addedHeaders {
            #expect(
                signed.headers.contains { $0.name.lowercased() == added.name.lowercased() && $0.value == added.value },
                "\(added.name) not in the suite's signed request"
            )
        }
    }

    @Test(arguments: SigV4Vector.all)
    func querySigningMatchesTheSuite(name: String) throws {
        let vector = try SigV4Vector(name: name)
        let signing = try vector.signer().querySigning(
            vector.sigV4Request(),
            expires: .seconds(vector.context.expiration_in_seconds)
        )

        #expect(try signing.canonicalRequest == vector.file("query-canonical-request.txt"))
        #expect(try signing.stringToSign == vector.file("query-string-to-sign.txt"))
        #expect(try signing.signature == vector.file("query-signature.txt"))

        let signed = ParsedRequest(try vector.file("query-signed-request.txt"))
        #expect(signing.query == signed.query)
        #expect(signed.path == vector.request.path)
    }
}
