/// Reassembles frames from a byte stream fed in chunks of any size.
///
/// The result does not depend on how the bytes were split. A declared length is checked against
/// `maxFrameLength` as soon as its four bytes are in, before any buffer grows to hold the frame.
public struct FrameDecoder: Sendable {
    /// May change between frames (the handshake runs with a small limit, calls with the configured one).
    public var maxFrameLength: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0

    public init(maxFrameLength: Int = Frame.defaultMaxLength) {
        precondition(maxFrameLength >= Frame.fixedHeaderLength && maxFrameLength <= Int(UInt32.max))
        self.maxFrameLength = maxFrameLength
    }

    /// Bytes received but not yet returned as frames.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// True when part of a frame has arrived and the rest has not.
    public var isInsideFrame: Bool { bufferedByteCount > 0 }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil if more bytes are needed.
    public mutating func next() throws(FrameError) -> Frame? {
        guard bufferedByteCount >= Frame.lengthFieldSize else { return nil }
        let length = Int(readUInt32(at: readIndex))
        guard length <= maxFrameLength else { throw .tooLong(length: length, maximum: maxFrameLength) }
        guard length >= Frame.fixedHeaderLength else { throw .tooShort(length: length) }
        // Version, kind and flags are judged as soon as their bytes are in, not once the whole frame
        // is: a peer speaking another version must not make us hold up to the maximum first.
        let headerStart = readIndex + Frame.lengthFieldSize
        let available = bufferedByteCount - Frame.lengthFieldSize
        if available >= 1, buffer[headerStart] != Frame.currentVersion { throw .unsupportedVersion(buffer[headerStart]) }
        if available >= 2, FrameKind(rawValue: buffer[headerStart + 1]) == nil { throw .unknownKind(buffer[headerStart + 1]) }
        if available >= 3, buffer[headerStart + 2] & ~FrameFlags.known != 0 { throw .unknownFlags(buffer[headerStart + 2]) }
        guard bufferedByteCount >= Frame.lengthFieldSize + length else { return nil }

        let start = readIndex + Frame.lengthFieldSize
        let end = start + length
        let frame = try Self.parseBody(buffer[start..<end])
        readIndex = end
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            readIndex = 0
        }
        return frame
    }

    /// Parses the bytes after the length field.
    static func parseBody(_ body: ArraySlice<UInt8>) throws(FrameError) -> Frame {
        var index = body.startIndex
        let version = body[index]
        guard version == Frame.currentVersion else { throw .unsupportedVersion(version) }
        guard let kind = FrameKind(rawValue: body[index + 1]) else { throw .unknownKind(body[index + 1]) }
        let flags = body[index + 2]
        guard flags & ~FrameFlags.known == 0 else { throw .unknownFlags(flags) }
        let methodLength = Int(body[index + 3])
        var requestID: UInt64 = 0
        for i in 4..<12 { requestID = requestID << 8 | UInt64(body[index + i]) }
        index += Frame.fixedHeaderLength

        var deadline: UInt32?
        if flags & FrameFlags.hasDeadline != 0 {
            guard body.endIndex - index >= 4 else { throw .truncatedHeader }
            var value: UInt32 = 0
            for i in 0..<4 { value = value << 8 | UInt32(body[index + i]) }
            deadline = value
            index += 4
        }
        var traceContext: TraceContextField?
        if flags & FrameFlags.hasTraceContext != 0 {
            guard body.endIndex - index >= TraceContextField.size else { throw .truncatedHeader }
            traceContext = TraceContextField(bytes: body[index..<index + TraceContextField.size])
            index += TraceContextField.size
        }
        guard body.endIndex - index >= methodLength else { throw .truncatedHeader }
        guard let method = String(validating: body[index..<index + methodLength], as: UTF8.self) else {
            throw .invalidMethodName
        }
        index += methodLength
        return Frame(
            version: version, kind: kind, requestID: requestID, method: method,
            deadlineMilliseconds: deadline, traceContext: traceContext, payload: Array(body[index...])
        )
    }

    private func readUInt32(at offset: Int) -> UInt32 {
        UInt32(buffer[offset]) << 24 | UInt32(buffer[offset + 1]) << 16 | UInt32(buffer[offset + 2]) << 8 | UInt32(buffer[offset + 3])
    }

    /// Drops consumed bytes once they dominate the buffer, so a long-lived connection does not grow it.
    private mutating func compactIfWorthwhile() {
        if readIndex > 0 && readIndex >= buffer.count / 2 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}

/// Why a byte stream is not a valid frame sequence. After any of these the connection is closed:
/// framing cannot be trusted again.
public struct FrameError: Error, Sendable, Hashable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case tooLong(Int, Int)
        case tooShort(Int)
        case unsupportedVersion(UInt8)
        case unknownKind(UInt8)
        case unknownFlags(UInt8)
        case truncatedHeader
        case invalidMethodName
    }

    let code: Code

    public static func tooLong(length: Int, maximum: Int) -> FrameError { .init(code: .tooLong(length, maximum)) }
    public static func tooShort(length: Int) -> FrameError { .init(code: .tooShort(length)) }
    public static func unsupportedVersion(_ version: UInt8) -> FrameError { .init(code: .unsupportedVersion(version)) }
    public static func unknownKind(_ kind: UInt8) -> FrameError { .init(code: .unknownKind(kind)) }
    public static func unknownFlags(_ flags: UInt8) -> FrameError { .init(code: .unknownFlags(flags)) }
    public static let truncatedHeader = FrameError(code: .truncatedHeader)
    public static let invalidMethodName = FrameError(code: .invalidMethodName)

    public var isUnsupportedVersion: Bool {
        if case .unsupportedVersion = code { return true }
        return false
    }

    public var description: String {
        switch code {
        case .tooLong(let length, let maximum): "frame length \(length) exceeds the maximum of \(maximum) bytes"
        case .tooShort(let length): "frame length \(length) is shorter than the \(Frame.fixedHeaderLength)-byte header"
        case .unsupportedVersion(let version): "protocol version \(version) is not supported (this peer speaks \(Frame.currentVersion))"
        case .unknownKind(let kind): "unknown frame kind \(kind)"
        case .unknownFlags(let flags): "unknown frame flags 0x\(String(flags, radix: 16))"
        case .truncatedHeader: "frame header is longer than the frame"
        case .invalidMethodName: "method name is not valid UTF-8"
        }
    }
}
