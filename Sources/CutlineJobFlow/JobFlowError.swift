import CutlineContracts
public import CutlineWire

/// Why a step of a job's flow refused or failed, worded for the person who asked: what kind of failure
/// it is (the HTTP layer maps each kind to one status), a stable `code` and the message.
public struct JobFlowError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The request is malformed or a value is out of range.
        case badRequest
        case notFound
        /// The job is not in a state where this step can happen.
        case conflict
        /// Well-formed, but it cannot be done as asked (a text that does not fit, a plan with no clips).
        case unprocessable
        case tooLarge
        case unsupportedMediaType
        /// A service or store behind the Gateway cannot be reached: worth a retry.
        case unavailable
        /// A service behind the Gateway answered with a failure of its own.
        case upstreamFailed
        /// This Gateway's own failure (a stored record it cannot read).
        case internalFailure
    }

    public let kind: Kind
    public let code: String
    public let message: String

    public init(_ kind: Kind, _ code: String, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public static func badRequest(_ message: String) -> JobFlowError { .init(.badRequest, "bad_request", message) }
    public static func notFound(_ message: String) -> JobFlowError { .init(.notFound, "not_found", message) }
    public static func conflict(_ message: String) -> JobFlowError { .init(.conflict, "conflict", message) }
    public static func unprocessable(_ code: String, _ message: String) -> JobFlowError { .init(.unprocessable, code, message) }

    public var description: String { "\(code): \(message)" }
}

/// A call the Gateway makes to another service: who answers it and how its failures read.
public enum ServiceCall: Sendable {
    case probe, submit, preflight, preview, vary

    var service: String { self == .vary ? "the TextService" : "the MediaProcessor" }

    /// What the person was waiting for, as in "the MediaProcessor could not … ".
    var action: String {
        switch self {
        case .probe: "probe the upload"
        case .submit: "take the queued job"
        case .preflight: "measure the texts"
        case .preview: "make the preview"
        case .vary: "make the variations"
        }
    }

    /// The API code of a request the service refused, by the error's `detail` (PROTOCOL.md §7).
    func refusedCode(detail: String?) -> String {
        switch self {
        case .probe:
            switch detail {
            case "unsupported_format": "unsupported_format"
            case "too_large": "video_too_large"
            default: "not_a_video"
            }
        case .vary: detail == TextErrorDetail.tooFew ? "too_few" : "bad_variations"
        case .preview: "bad_preview"
        case .submit, .preflight: "bad_request"
        }
    }

    var unavailableCode: String { self == .vary ? "text_unavailable" : "media_unavailable" }
    var failedCode: String { self == .vary ? "text_engine_failed" : "media_failed" }
}

extension JobFlowError {
    /// The one mapping of a service's RPC error to what the person is told: a refused request is theirs to
    /// change (422, by its detail), a missing object means the upload is not finished (409), a service
    /// that failed on its own is 502, and one that cannot be reached or ran out of time 503.
    public init(_ error: RPCError, during call: ServiceCall) {
        switch error.code {
        case .badRequest:
            self.init(.unprocessable, call.refusedCode(detail: error.detail), error.message)
        case .notFound:
            self.init(.conflict, "conflict", "the upload has not finished: \(error.message)")
        case .internalError:
            self.init(.upstreamFailed, call.failedCode, "\(call.service) could not \(call.action): \(error.message)")
        default:
            let retry = call == .submit ? "the job is queued; send the same request again to retry" : "try again shortly"
            self.init(.unavailable, call.unavailableCode, "\(call.service) could not \(call.action) (\(error.message)); \(retry)")
        }
    }
}
