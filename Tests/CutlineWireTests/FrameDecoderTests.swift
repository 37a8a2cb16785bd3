import CutlineTestSupport
import CutlineWire
import Testing

@Suite struct FrameDecoderTests {
    static let frames: [Frame] = [
        Frame(kind: .request, requestID: 1, method: "system.health", deadlineMilliseconds: 5000, payload: [0xA0]),
        Frame(kind: .response, requestID: 1, payload: Array(repeating: 0x41, count: 300)),
        Frame(kind: .ping, requestID: .max),
        Frame(kind: .error, requestID: 0, payload: [0xA0]),
        Frame(
            kind: .request, requestID: 2, method: "media.probe", deadlineMilliseconds: 30_000,
            traceContext: TraceContextField(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), payload: [0xA0]),
        Frame(
            kind: .request, requestID: 3, method: "text.vary",
            traceContext: TraceContextField(traceparent: "00-0000000000000000000000000000000a-0000000000000001-00")),
    ]

    static var stream: [UInt8] { frames.flatMap { $0.encoded() } }

    @Test func framesRoundTrip() throws {
        var decoder = FrameDecoder()
        decoder.append(Self.stream)
        var decoded: [Frame] = []
        while let frame = try decoder.next() { decoded.append(frame) }
        #expect(decoded == Self.frames)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func splitAtEveryByteBoundaryGivesTheSameFrames() throws {
        let bytes = Self.stream
        for split in 0...bytes.count {
            var decoder = FrameDecoder()
            var decoded: [Frame] = []
            decoder.append(bytes[..<split])
            while let frame = try decoder.next() { decoded.append(frame) }
            decoder.append(bytes[split...])
            while let frame = try decoder.next() { decoded.append(frame) }
            #expect(decoded == Self.frames, "split at \(split)")
        }
    }

    @Test func oneByteAtATimeGivesTheSameFrames() throws {
        var decoder = FrameDecoder()
        var decoded: [Frame] = []
        for byte in Self.stream {
            decoder.append([byte])
            while let frame = try decoder.next() { decoded.append(frame) }
        }
        #expect(decoded == Self.frames)
    }

    @Test func truncatedFrameWaitsForMoreBytes() throws {
        let bytes = Self.frames[0].encoded()
        for cut in 0..<bytes.count {
            var decoder = FrameDecoder()
            decoder.append(bytes[..<cut])
            #expect(try decoder.next() == nil, "cut at \(cut)")
            #expect(decoder.isInsideFrame == (cut > 0))
        }
    }

    @Test func lengthOfFFFFFFFFIsRefusedWithoutAllocating() throws {
        var decoder = FrameDecoder()
        decoder.append([0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(throws: FrameError.tooLong(length: 0xFFFF_FFFF, maximum: Frame.defaultMaxLength)) { try decoder.next() }
        // Nothing beyond the bytes received was reserved for the claimed frame.
        #expect(decoder.bufferedByteCount == 5)
    }

    @Test func configuredMaximumIsEnforced() throws {
        var decoder = FrameDecoder(maxFrameLength: 64)
        decoder.append(Frame(kind: .response, requestID: 2, payload: Array(repeating: 0, count: 100)).encoded())
        #expect(throws: FrameError.self) { try decoder.next() }
    }

    @Test func lengthShorterThanTheHeaderIsRefused() throws {
        var decoder = FrameDecoder()
        decoder.append([0, 0, 0, 5, 1, 1, 0, 0, 0])
        #expect(throws: FrameError.tooShort(length: 5)) { try decoder.next() }
    }

    @Test func wrongVersionIsReportedAsSuch() throws {
        var bytes = Self.frames[0].encoded()
        bytes[4] = 2
        var decoder = FrameDecoder()
        decoder.append(bytes)
        #expect(throws: FrameError.unsupportedVersion(2)) { try decoder.next() }
    }

    @Test func unknownKindAndFlagsAreRefused() throws {
        var kind = Self.frames[0].encoded()
        kind[5] = 99
        var decoder = FrameDecoder()
        decoder.append(kind)
        #expect(throws: FrameError.unknownKind(99)) { try decoder.next() }

        var flags = Self.frames[2].encoded()
        flags[6] = 0x80
        var second = FrameDecoder()
        second.append(flags)
        #expect(throws: FrameError.unknownFlags(0x80)) { try second.next() }
    }

    @Test func methodLongerThanTheFrameIsRefused() throws {
        // length 12, method length 200: the header claims more than the frame holds.
        var decoder = FrameDecoder()
        decoder.append([0, 0, 0, 12, 1, 1, 0, 200, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(throws: FrameError.truncatedHeader) { try decoder.next() }
    }

    /// Random bytes give the same frames and the same error whether they arrive at once or a byte at a
    /// time (SwiftNIO's ByteToMessageDecoderVerifier property), and never crash the decoder.
    @Test func randomGarbageDecodesTheSameHoweverItIsSplit() {
        var rng = SeededGenerator.fromEnvironment(test: "frameGarbage")
        var errors = 0
        for _ in 0..<5000 {
            var bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Half the inputs start with a plausible header, so frames and late errors are exercised too.
            if Bool.random(using: &rng), bytes.count >= 8 {
                bytes[0...3] = [0, 0, 0, UInt8.random(in: 12...40, using: &rng)]
                bytes[4] = 1
                bytes[5] = UInt8.random(in: 1...6, using: &rng)
                bytes[6] = 0
                bytes[7] = UInt8.random(in: 0...3, using: &rng)
            }
            let whole = Self.outcome(of: [bytes])
            let trickled = Self.outcome(of: bytes.map { [$0] })
            #expect(whole == trickled, "\(bytes.hex), seed \(rng.seed)")
            if whole.error != nil { errors += 1 }
        }
        // The inputs are mostly invalid: a decoder that accepted everything would fail here.
        #expect(errors > 2500)
    }

    struct Outcome: Equatable {
        var frames: [Frame] = []
        var error: FrameError?
    }

    static func outcome(of chunks: [[UInt8]]) -> Outcome {
        var decoder = FrameDecoder(maxFrameLength: 1024)
        var outcome = Outcome()
        do {
            for chunk in chunks {
                decoder.append(chunk)
                while let frame = try decoder.next() { outcome.frames.append(frame) }
            }
        } catch {
            outcome.error = error
        }
        return outcome
    }

    @Test func headerFieldsAreJudgedBeforeTheWholeFrameArrives() throws {
        // A 16 MiB frame of version 2: refused on its fifth byte, not after 16 MiB.
        var version = FrameDecoder()
        version.append([0x01, 0x00, 0x00, 0x00, 2])
        #expect(throws: FrameError.unsupportedVersion(2)) { try version.next() }
        var kind = FrameDecoder()
        kind.append([0x01, 0x00, 0x00, 0x00, 1, 99])
        #expect(throws: FrameError.unknownKind(99)) { try kind.next() }
        var flags = FrameDecoder()
        flags.append([0x01, 0x00, 0x00, 0x00, 1, 1, 0x04])
        #expect(throws: FrameError.unknownFlags(0x04)) { try flags.next() }
        // A sound header still waits for the rest.
        var sound = FrameDecoder()
        sound.append([0x01, 0x00, 0x00, 0x00, 1, 1, 0x01, 0x00])
        #expect(try sound.next() == nil)
    }

    @Test func aTraceContextCutShortIsRefused() throws {
        var bytes = Self.frames[4].encoded()
        // Keep the deadline and 24 of the trace context's 25 bytes; the length field says so.
        bytes = Array(bytes[..<(4 + 12 + 4 + 24)])
        bytes[3] = UInt8(12 + 4 + 24)
        var decoder = FrameDecoder()
        decoder.append(bytes)
        #expect(throws: FrameError.truncatedHeader) { try decoder.next() }
    }

    @Test(arguments: [
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true),
        ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false),  // W3C: lowercase only
        ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false),  // a version this side does not know
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", false),  // all-zero trace id: invalid
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false),  // all-zero parent id: invalid
        ("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", false),
    ])
    func traceparentIsReadAsW3CWritesIt(text: String, valid: Bool) {
        let field = TraceContextField(traceparent: text)
        #expect((field != nil) == valid)
        if let field { #expect(field.traceparent == text && field.bytes.count == 25) }
    }
}
