import CutlineTestSupport
import CutlineWire
import Testing

@Suite struct FrameDecoderTests {
    static let frames: [Frame] = [
        Frame(kind: .request, requestID: 1, method: "system.health", deadlineMilliseconds: 5000, payload: [0xA0]),
        Frame(kind: .response, requestID: 1, payload: Array(repeating: 0x41, count: 300)),
        Frame(kind: .ping, requestID: .max),
        Frame(kind: .error, requestID: 0, payload: [0xA0]),
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

    @Test func randomGarbageNeverCrashes() {
        var rng = SeededGenerator.fromEnvironment(test: "frameGarbage")
        for _ in 0..<5000 {
            var decoder = FrameDecoder(maxFrameLength: 1024)
            decoder.append((0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            while true {
                guard let frame = try? decoder.next() else { break }
                _ = frame
            }
        }
    }
}
