/// The unit of the Cutline wire protocol (protocol/PROTOCOL.md §2).
///
///     u32 length | u8 version | u8 kind | u8 flags | u8 method length | u64 request id
///     | [u32 deadline ms] | [25-byte trace context] | method | payload
///
/// All integers are big-endian; `length` counts the bytes after itself.
public struct Frame: Sendable, Hashable {
    public static let currentVersion: UInt8 = 1
    /// Bytes from `version` through `request id`: the smallest legal `length`.
    public static let fixedHeaderLength = 12
    public static let lengthFieldSize = 4
    public static let defaultMaxLength = 16 * 1024 * 1024

    public var version: UInt8
    public var kind: FrameKind
    public var requestID: UInt64
    public var method: String
    /// How long the caller still waits, in milliseconds, when it sent the request.
    public var deadlineMilliseconds: UInt32?
    /// The W3C trace the call belongs to, when the caller has one.
    public var traceContext: TraceContextField?
    /// One CBOR data item, or empty.
    public var payload: [UInt8]

    public init(
        version: UInt8 = Frame.currentVersion,
        kind: FrameKind,
        requestID: UInt64,
        method: String = "",
        deadlineMilliseconds: UInt32? = nil,
        traceContext: TraceContextField? = nil,
        payload: [UInt8] = []
    ) {
        self.version = version
        self.kind = kind
        self.requestID = requestID
        self.method = method
        self.deadlineMilliseconds = deadlineMilliseconds
        self.traceContext = traceContext
        self.payload = payload
    }

    /// The optional fields' bytes: the deadline and the trace context.
    var optionalLength: Int { (deadlineMilliseconds == nil ? 0 : 4) + (traceContext == nil ? 0 : TraceContextField.size) }

    var flags: UInt8 { (deadlineMilliseconds == nil ? 0 : FrameFlags.hasDeadline) | (traceContext == nil ? 0 : FrameFlags.hasTraceContext) }

    /// Appends the encoded frame. The method name must be at most 255 UTF-8 bytes (callers validate names
    /// when they define methods; a longer one is a programming error).
    public func write(to out: inout [UInt8]) {
        var method = method
        method.withUTF8 { methodBytes in
            precondition(methodBytes.count <= 255, "method name longer than 255 bytes: \(self.method)")
            let length = Frame.fixedHeaderLength + optionalLength + methodBytes.count + payload.count
            out.reserveCapacity(out.count + Frame.lengthFieldSize + length)
            appendBigEndian(UInt32(length), &out)
            out.append(version)
            out.append(kind.rawValue)
            out.append(flags)
            out.append(UInt8(methodBytes.count))
            appendBigEndian(requestID, &out)
            if let deadlineMilliseconds { appendBigEndian(deadlineMilliseconds, &out) }
            if let traceContext { out.append(contentsOf: traceContext.bytes) }
            out.append(contentsOf: methodBytes)
            out.append(contentsOf: payload)
        }
    }

    /// Bytes after the length field, as the peer's maximum counts them.
    public var encodedLength: Int {
        Frame.fixedHeaderLength + optionalLength + method.utf8.count + payload.count
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }
}

public enum FrameKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case request = 1
    case response = 2
    case error = 3
    case cancel = 4
    case ping = 5
    case pong = 6
    // Handshake (PROTOCOL.md §4): the only kinds accepted before authentication.
    case hello = 16
    case challenge = 17
    case auth = 18
    case welcome = 19

    public var description: String {
        switch self {
        case .request: "request"
        case .response: "response"
        case .error: "error"
        case .cancel: "cancel"
        case .ping: "ping"
        case .pong: "pong"
        case .hello: "hello"
        case .challenge: "challenge"
        case .auth: "auth"
        case .welcome: "welcome"
        }
    }
}

enum FrameFlags {
    static let hasDeadline: UInt8 = 0x01
    static let hasTraceContext: UInt8 = 0x02
    static let known: UInt8 = hasDeadline | hasTraceContext
}

/// A request's W3C trace context on the wire (PROTOCOL.md §2): the `traceparent` header's fields as 25
/// bytes, trace id (16), parent span id (8) and trace flags (1). Only version 00 exists, so it is not sent.
public struct TraceContextField: Sendable, Hashable {
    public static let size = 25
    public let bytes: [UInt8]

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.size else { return nil }
        self.bytes = Array(bytes)
    }

    /// From a W3C `traceparent` (`00-` 32 hex `-` 16 hex `-` 2 hex, lowercase); nil for anything else,
    /// including the all-zero ids the recommendation calls invalid.
    public init?(traceparent: String) {
        let parts = traceparent.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "00", parts[1].utf8.count == 32, parts[2].utf8.count == 16, parts[3].utf8.count == 2 else {
            return nil
        }
        var bytes: [UInt8] = []
        for part in parts.dropFirst() {
            let digits = Array(part.utf8)
            for pair in stride(from: 0, to: digits.count, by: 2) {
                guard let high = Self.nibble(digits[pair]), let low = Self.nibble(digits[pair + 1]) else { return nil }
                bytes.append(high << 4 | low)
            }
        }
        guard bytes[0..<16].contains(where: { $0 != 0 }), bytes[16..<24].contains(where: { $0 != 0 }) else { return nil }
        self.bytes = bytes
    }

    /// The `traceparent` header value.
    public var traceparent: String {
        func hex(_ range: Range<Int>) -> String { bytes[range].map { String($0, radix: 16).leftPadded(to: 2) }.joined() }
        return "00-\(hex(0..<16))-\(hex(16..<24))-\(hex(24..<25))"
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
