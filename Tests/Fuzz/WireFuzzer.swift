import Foundation

// libFuzzer entry point for the wire decoders, compiled together with Sources/CutlineWire by
// scripts/fuzz (not part of the package build). Any crash, sanitizer report or trap is a finding.

@_cdecl("LLVMFuzzerTestOneInput")
public func wireFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    // Frames: the same input split at an input-chosen point must give the same frames as whole.
    var whole = FrameDecoder(maxFrameLength: 1 << 16)
    whole.append(bytes)
    let wholeFrames = drain(&whole)
    var split = FrameDecoder(maxFrameLength: 1 << 16)
    let cut = size == 0 ? 0 : Int(bytes[0]) % (size + 1)
    split.append(bytes[..<cut])
    var splitFrames = drain(&split)
    split.append(bytes[cut...])
    splitFrames.frames += drain(&split).frames
    if wholeFrames.failed == nil && splitFrames.failed == nil && wholeFrames.frames != splitFrames.frames {
        fatalError("frame decoding depends on how the bytes were split")
    }
    for frame in wholeFrames.frames {
        fuzzPayload(frame.payload)
    }

    fuzzPayload(bytes)
    // Any text that parses as a traceparent is written back exactly as it came.
    let text = String(decoding: bytes, as: UTF8.self)
    if let parsed = TraceContextField(traceparent: text), parsed.traceparent != text {
        fatalError("traceparent \(text) is written back as \(parsed.traceparent)")
    }
    return 0
}

private func drain(_ decoder: inout FrameDecoder) -> (frames: [Frame], failed: FrameError?) {
    var frames: [Frame] = []
    while true {
        do {
            guard let frame = try decoder.next() else { return (frames, nil) }
            // A decoded frame re-encodes to bytes that decode to the same frame.
            var again = FrameDecoder(maxFrameLength: 1 << 16)
            again.append(frame.encoded())
            guard (try? again.next()) == frame else { fatalError("frame does not round-trip") }
            // A trace context reads back from its W3C text (or that text is invalid: all-zero ids).
            if let trace = frame.traceContext, let parsed = TraceContextField(traceparent: trace.traceparent), parsed != trace {
                fatalError("a trace context does not round-trip through its traceparent text")
            }
            frames.append(frame)
        } catch {
            return (frames, error)
        }
    }
}

private struct Probe: Codable, Equatable {
    var name: String
    var count: Int64?
    var values: [Double]?
    var blob: [UInt8]?
    var nested: [String: Probe]?
    var id: UUID?
    var at: Date?
    var data: Data?
    var link: URL?
    var flags: [Bool?]?
}

private func fuzzPayload(_ bytes: [UInt8]) {
    // The typed decoder validates without building items and then reads the raw bytes (unsorted maps,
    // non-shortest heads and all): it must refuse exactly what the parser refuses, with the same error.
    var parseError: CBORError?
    var parsed: CBORValue?
    do { parsed = try CBORValue.parse(bytes) } catch { parseError = error }
    var validateError: CBORError?
    do { try CBORValue.validate(bytes) } catch { validateError = error }
    if parseError != validateError { fatalError("validate and parse disagree") }
    let direct = Result { try CBORDecoder().decode(Probe.self, from: bytes) }
    if case .failure(let error) = direct, parseError != nil, !(error is CBORError) { fatalError("malformed bytes gave a non-CBOR error") }
    guard let value = parsed else {
        if case .success = direct { fatalError("typed decoder accepted malformed bytes") }
        return
    }
    // Serializing is deterministic and idempotent: parse(serialize(v)) serializes the same way.
    let canonical = value.serialized()
    guard let reparsed = try? CBORValue.parse(canonical), reparsed.serialized() == canonical else {
        fatalError("serialization is not idempotent")
    }
    // The raw bytes and their canonical form decode alike (both succeed, or both fail).
    let viaCanonical = try? CBORDecoder().decode(Probe.self, from: canonical)
    let probe = try? direct.get()
    if (probe == nil) != (viaCanonical == nil) { fatalError("raw and canonical bytes decode differently") }
    // A decoded value re-encodes to bytes that decode and re-encode to the same bytes (bytes, not ==,
    // so NaNs anywhere compare equal).
    if let probe {
        guard let encoded = try? CBOREncoder().encode(probe),
            let back = try? CBORDecoder().decode(Probe.self, from: encoded),
            let again = try? CBOREncoder().encode(back)
        else {
            fatalError("decoded value does not re-encode")
        }
        if again != encoded { fatalError("typed round trip differs") }
        if let viaCanonical, (try? CBOREncoder().encode(viaCanonical)) != encoded { fatalError("raw and canonical bytes decode to different values") }
    }
}
