import Foundation

/// The API's contract, shipped with the Gateway and served at `/api/openapi.yaml`.
enum OpenAPIDocument {
    /// nil only if the package was built without its resource (then the route says so).
    static let text: String? = Bundle.module.url(forResource: "openapi", withExtension: "yaml")
        .flatMap { try? String(contentsOf: $0, encoding: .utf8) }
}
