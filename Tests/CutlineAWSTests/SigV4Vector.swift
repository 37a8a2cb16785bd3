import CutlineAWS
import Foundation
import Testing

/// One folder of AWS's SigV4 test suite (awslabs/aws-c-auth, tests/aws-signing-test-suite/v4/,
/// copied unchanged into Vectors/). Every folder of that directory is here: none needs a feature the
/// signer lacks. Not copied: the sibling v4a/ suite (SigV4a, ECDSA P-256 over a region set), which this
/// signer does not implement; aws-c-auth has no chunked/streaming vectors in v4/.
struct SigV4Vector: CustomTestStringConvertible, Sendable {
    let name: String
    let context: Context
    let request: ParsedRequest

    var testDescription: String { name }

    struct Context: Decodable {
        struct Credentials: Decodable {
            let access_key_id: String
            let secret_access_key: String
            let token: String?
        }

        let credentials: Credentials
        let expiration_in_seconds: Int
        let normalize: Bool
        let region: String
        let service: String
        let sign_body: Bool
        let timestamp: String
        let omit_session_token: Bool?
    }

    static let directory: URL = Bundle.module.url(forResource: "Vectors", withExtension: nil)!

    static let all: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted()
    }()

    init(name: String) throws {
        self.name = name
        let folder = Self.directory.appending(path: name)
        context = try JSONDecoder().decode(Context.self, from: Data(contentsOf: folder.appending(path: "context.json")))
        request = ParsedRequest(try String(contentsOf: folder.appending(path: "request.txt"), encoding: .utf8))
    }

    /// A file of the vector, byte for byte.
    func file(_ file: String) throws -> String {
        try String(contentsOf: Self.directory.appending(path: "\(name)/\(file)"), encoding: .utf8)
    }

    func signer() throws -> SigV4Signer {
        let instant = try Date.ISO8601FormatStyle().parse(context.timestamp)
        return SigV4Signer(
            credentials: AWSCredentials(
                accessKeyID: context.credentials.access_key_id,
                secretAccessKey: context.credentials.secret_access_key,
                sessionToken: context.credentials.token
            ),
            region: AWSRegion(context.region),
            service: context.service,
            options: SigV4Signer.Options(
                doubleURIEncode: true,
                normalizeURIPath: context.normalize,
                addContentSHA256Header: context.sign_body,
                omitSessionTokenFromSignature: context.omit_session_token ?? false
            ),
            clock: { instant }
        )
    }

    /// The request as the signer takes it: the request line's target verbatim (the suite writes it
    /// unencoded, `/example space/`, which the signer's single encoding pass turns into `%20`).
    func sigV4Request() -> SigV4Request {
        let host = request.headers.first { $0.name.lowercased() == "host" }?.value ?? ""
        return SigV4Request(
            method: request.method,
            authority: host,
            path: request.path,
            query: request.query,
            headers: request.headers,
            payloadHash: SigV4Signer.payloadHash(Data(request.body.utf8))
        )
    }
}

/// An HTTP/1.1 request in the suite's text form; header lines that start with whitespace continue the
/// previous header's value (obsolete line folding, which get-header-value-multiline uses).
struct ParsedRequest: Sendable {
    var method = ""
    var path = ""
    var query: String?
    var headers: [(name: String, value: String)] = []
    var body = ""

    init(_ text: String) {
        let head: Substring
        if let blank = text.range(of: "\n\n") {
            head = text[..<blank.lowerBound]
            body = String(text[blank.upperBound...])
        } else {
            head = Substring(text)
        }
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false)[...]
        let requestLine = lines.popFirst() ?? ""
        let firstSpace = requestLine.firstIndex(of: " ") ?? requestLine.endIndex
        method = String(requestLine[..<firstSpace])
        let targetEnd = requestLine.range(of: " HTTP/", options: .backwards)?.lowerBound ?? requestLine.endIndex
        let target = requestLine[requestLine.index(after: firstSpace)..<targetEnd]
        if let question = target.firstIndex(of: "?") {
            path = String(target[..<question])
            query = String(target[target.index(after: question)...])
        } else {
            path = String(target)
        }
        for line in lines where !line.isEmpty {
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += "\n" + line
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
    }
}
