import CutlineContracts
import CutlineRPC
import CutlineWire
import Foundation
import Hummingbird

/// `GET /api/health`: whether the services behind the Gateway answer. The page asks when a running job
/// has not moved for a while, so it can say why (a MediaProcessor that is down) instead of spinning.
extension GatewayAPI {
    struct HealthAnswer: Encodable {
        struct Service: Encodable {
            let reachable: Bool
            /// Why not, when it is not.
            let message: String?
        }
        let media: Service
        let text: Service
    }

    func health() async throws -> Response {
        async let media = reachable(self.media)
        async let text = reachable(self.text)
        return try JSONBody.response(HealthAnswer(media: await media, text: await text), headers: [.cacheControl: "no-store"])
    }

    private func reachable(_ client: RPCClient) async -> HealthAnswer.Service {
        do {
            _ = try await client.call(SystemContract.health, HealthRequest(), timeout: .seconds(2))
            return .init(reachable: true, message: nil)
        } catch let error as RPCError {
            return .init(reachable: false, message: error.message)
        } catch {
            return .init(reachable: false, message: "\(error)")
        }
    }
}
