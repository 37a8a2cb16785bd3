import CutlineProductTestSupport
import CutlineTestSupport
import Foundation
import Testing

/// schemathesis (an independent, property-based API tester) against the served OpenAPI document:
/// generated requests, valid and not, must never get a 5xx, and every answer must match the document.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct SchemathesisTests {
    static var available: Bool {
        (try? ChildProcess.run(["sh", "-c", "command -v st"]).code) == 0
    }

    @Test(.enabled(if: available || TestEnvironment.testServersRequired, "needs schemathesis (scripts/bootstrap installs it)"))
    func generatedRequestsGetNoServerErrorAndMatchTheDocument() async throws {
        let product = try await RunningProduct(withText: true)
        defer { Teardowns.stop { await product.stop() } }
        let base = product.gateway.base.absoluteString
        let run = try ChildProcess.run(
            [
                "st", "run", "\(base)/api/openapi.yaml", "--url", base,
                "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                "--max-examples", "40", "--no-color",
            ], timeout: 420)
        #expect(run.code == 0, "schemathesis found problems:\n\(run.stdout.suffix(6000))\n\(run.stderr.suffix(2000))")
    }
}
