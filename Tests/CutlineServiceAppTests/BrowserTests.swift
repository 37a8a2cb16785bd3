import CutlineTestSupport
import Foundation
import Testing

/// The page in real Chromium (Tests/Browser/page_flow.py, Selenium), against the Gateway, a
/// MediaProcessor and a TextService on loopback: one job from picking the file to playing and
/// downloading its clips.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct BrowserTests {
    static var available: Bool {
        (try? ChildProcess.run(["sh", "-c", "command -v chromedriver && python3 -c 'import selenium'"]).code) == 0
    }

    @Test(.enabled(if: available || TestEnvironment.testServersRequired, "needs chromium, chromium-driver and selenium (scripts/bootstrap installs them)"))
    func oneJobThroughThePage() async throws {
        let product = try await RunningProduct(withText: true)
        defer { Task { await product.stop() } }
        let script = TestEnvironment.repository.appendingPathComponent("Tests/Browser/page_flow.py")
        let out = product.gateway.data.appendingPathComponent("browser")
        let run = try ChildProcess.run(["python3", script.path, product.gateway.base.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")),
                                        EndToEndTests.video.path, out.path], timeout: 420)
        #expect(run.code == 0, "\(run.stdout.suffix(3000))\n\(run.stderr.suffix(3000))")
    }
}
