import CutlineContracts
import CutlineCore
import CutlineTestSupport
import CutlineWire
import Foundation
import Testing

@testable import CutlineRPC

/// protocol/vectors/*.json hold frames as hex. These tests decode every vector and re-encode it byte
/// for byte; scripts/check-vectors.py checks the same files with cbor2, an independent CBOR codec.
/// `CUTLINE_WRITE_VECTORS=1 swift test --filter GoldenVectorTests` rewrites them after a deliberate change.
@Suite struct GoldenVectorTests {
    struct Vector {
        var name: String
        var description: String
        var type: String
        var frame: Frame
        /// Decodes the payload as `type` and encodes it again.
        var reencode: @Sendable ([UInt8]) throws -> [UInt8]
    }

    static func vector<T: Codable & SendableMetatype>(_ name: String, _ description: String, _ value: T, _ frame: Frame) -> Vector {
        var frame = frame
        frame.payload = try! CBOREncoder().encode(value)
        return Vector(name: name, description: description, type: "\(T.self)", frame: frame) { bytes in
            try CBOREncoder().encode(CBORDecoder().decode(T.self, from: bytes))
        }
    }

    static let nonceA = Data((0..<32).map { UInt8($0) })
    static let nonceB = Data((0..<32).map { UInt8(255 - $0) })

    /// Deterministic stand-in values so the vectors never change unless the encoding does.
    static let vectors: [Vector] = [
        vector(
            "health_request", "A system.health call with a 5 s deadline; the request is an empty map.",
            HealthRequest(), Frame(kind: .request, requestID: 1, method: "system.health", deadlineMilliseconds: 5000)),
        vector(
            "traced_request", "A system.health call in a W3C trace: flags 0x03, the deadline, then the trace context (trace id, parent id, flags).",
            HealthRequest(),
            Frame(
                kind: .request, requestID: 2, method: "system.health", deadlineMilliseconds: 5000,
                traceContext: TraceContextField(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))),
        vector(
            "health_response", "The answer to request 1.",
            HealthResponse(name: "media", version: "0.1.0", uptimeSeconds: 12.5, inFlight: 3), Frame(kind: .response, requestID: 1)),
        vector(
            "error_unauthenticated", "A connection-level refusal (request id 0) before the server closes.",
            RPCError.unauthenticated("the client's proof does not match this server's secret"), Frame(kind: .error, requestID: 0)),
        vector(
            "error_deadline_exceeded", "A call that outlived its deadline.",
            RPCError.deadlineExceeded("media.render did not finish before the caller's deadline"), Frame(kind: .error, requestID: 42)),
        vector(
            "handshake_hello", "Client opens: offered versions, 32-byte nonce, its name.",
            HelloMessage(versions: [1], nonce: nonceA, peer: "cutline-cli"), Frame(kind: .hello, requestID: 0)),
        vector(
            "handshake_challenge", "Server answers: chosen version, its nonce, its name, the optional parts it reads.",
            ChallengeMessage(version: 1, nonce: nonceB, peer: "media", features: ["trace_context"]), Frame(kind: .challenge, requestID: 0)),
        vector(
            "handshake_auth", "Client proof: HMAC-SHA256 over label, version and both nonces (secret \"0123456789abcdef\").",
            ProofMessage(
                proof: Handshake.proof(
                    secret: try! RPCSecret(Data("0123456789abcdef".utf8), origin: "vector"), role: .client, version: 1, clientNonce: nonceA,
                    serverNonce: nonceB)),
            Frame(kind: .auth, requestID: 0)),
        vector(
            "handshake_welcome", "Server proof for the same exchange.",
            ProofMessage(
                proof: Handshake.proof(
                    secret: try! RPCSecret(Data("0123456789abcdef".utf8), origin: "vector"), role: .server, version: 1, clientNonce: nonceA,
                    serverNonce: nonceB)),
            Frame(kind: .welcome, requestID: 0)),
        vector(
            "job_reference", "A job id travels as its lower-case UUID text; states as upper-case names.",
            VectorJob(
                jobID: JobID(uuid: UUID(uuidString: "6F1D2C3B-4A59-4E68-B7A6-958473625140")!), state: .processing, clipsDone: 3, clipsTotal: 12),
            Frame(kind: .request, requestID: 7, method: "media.job_status", deadlineMilliseconds: 30000)),
        vector(
            "value_shapes", "Integer edges, shortest floats, text, bytes, tags for Date and UUID, optionals, nesting, enums with payloads.",
            VectorShapes.sample, Frame(kind: .response, requestID: 0xFFFF_FFFF_FFFF_FFFF)),
    ]

    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("protocol/vectors")
    }

    @Test func vectorFilesMatchTheCode() throws {
        if ProcessInfo.processInfo.environment["CUTLINE_WRITE_VECTORS"] == "1" {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            for vector in Self.vectors {
                try Data(VectorJSON.document(vector).utf8).write(to: Self.directory.appendingPathComponent("\(vector.name).json"))
            }
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files == Self.vectors.map { "\($0.name).json" }.sorted())
        for vector in Self.vectors {
            let data = try Data(contentsOf: Self.directory.appendingPathComponent("\(vector.name).json"))
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let frameHex = try #require(object["frame_hex"] as? String)
            let payloadHex = try #require(object["payload_hex"] as? String)
            #expect(frameHex == vector.frame.encoded().hex, "\(vector.name): the code now encodes differently from the file")
            #expect(payloadHex == vector.frame.payload.hex, "\(vector.name)")
            #expect(object["type"] as? String == vector.type)
        }
    }

    @Test(arguments: vectors.map(\.name))
    func vectorDecodesAndReencodesByteForByte(name: String) throws {
        let vector = try #require(Self.vectors.first { $0.name == name })
        let data = try Data(contentsOf: Self.directory.appendingPathComponent("\(name).json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let frameBytes = [UInt8](hex: try #require(object["frame_hex"] as? String))
        let header = try #require(object["frame"] as? [String: Any])

        var decoder = FrameDecoder()
        decoder.append(frameBytes)
        let frame = try #require(try decoder.next())
        #expect(decoder.bufferedByteCount == 0)
        #expect(Int(frame.version) == header["version"] as? Int)
        #expect(frame.kind.description == header["kind"] as? String)
        #expect(frame.requestID == (header["request_id"] as? NSNumber)?.uint64Value)
        #expect(frame.method == (header["method"] as? String ?? ""))
        #expect(frame.deadlineMilliseconds.map(Int.init) == header["deadline_ms"] as? Int)
        #expect(frame.traceContext?.traceparent == header["traceparent"] as? String)
        #expect(try vector.reencode(frame.payload) == frame.payload)
        #expect(frame.encoded() == frameBytes)
    }
}

struct VectorJob: Codable {
    var jobID: JobID
    var state: JobState
    var clipsDone: Int
    var clipsTotal: Int

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case state
        case clipsDone = "clips_done"
        case clipsTotal = "clips_total"
    }
}

struct VectorShapes: Codable {
    var small: Int
    var byte: UInt8
    var word: UInt16
    var max: UInt64
    var min: Int64
    var half: Double
    var single: Double
    var double: Double
    var infinity: Double
    var nan: Double
    var text: String
    var bytes: Data
    var date: Date
    var uuid: UUID
    var missing: String?
    var list: [Int?]
    var nested: [String: [Int]]
    var shape: Shape

    enum Shape: Codable {
        case circle(radius: Double)
        case square(side: Int)
    }

    static let sample = VectorShapes(
        small: -24, byte: 255, word: 65535, max: .max, min: .min, half: 1.5, single: 100_000, double: 1.1,
        infinity: -.infinity, nan: .nan, text: "Grüße 世界 🎬 \"quoted\"", bytes: Data([0, 1, 254, 255]),
        date: Date(timeIntervalSince1970: 1_700_000_000.5), uuid: UUID(uuidString: "0F6B3C1E-3B8A-4F55-9C1B-2D3E4F5A6B7C")!,
        missing: nil, list: [1, nil, -1], nested: ["a": [1, 2], "bb": []], shape: .circle(radius: 2.5)
    )
}

/// Writes a vector as JSON by hand: floats keep a decimal point (1.0, not 1) so int and float stay
/// distinct for the independent checker.
enum VectorJSON {
    static func document(_ vector: GoldenVectorTests.Vector) -> String {
        let frame = vector.frame
        let value = try! CBORValue.parse(frame.payload)
        let deadline = frame.deadlineMilliseconds.map { "\($0)" } ?? "null"
        let trace = frame.traceContext.map { ", \"traceparent\": \(string($0.traceparent))" } ?? ""
        return """
            {
              "name": \(string(vector.name)),
              "description": \(string(vector.description)),
              "type": \(string(vector.type)),
              "frame": {"version": \(frame.version), "kind": \(string(frame.kind.description)), "request_id": \(frame.requestID), "method": \(string(frame.method)), "deadline_ms": \(deadline)\(trace)},
              "value": \(json(value)),
              "payload_hex": \(string(frame.payload.hex)),
              "frame_hex": \(string(frame.encoded().hex))
            }

            """
    }

    static func json(_ value: CBORValue) -> String {
        switch value {
        case .unsigned(let n): return "\(n)"
        case .negative(let n): return n == UInt64.max ? "-18446744073709551616" : "-\(n + 1)"
        case .float(let f):
            if f.isNaN { return "{\"$float\": \"nan\"}" }
            if f.isInfinite { return "{\"$float\": \"\(f < 0 ? "-inf" : "inf")\"}" }
            let text = "\(f)"
            return text.contains(".") || text.contains("e") ? text : text + ".0"
        case .text(let s): return string(s)
        case .bytes(let d): return "{\"$bytes\": \"\([UInt8](d).hex)\"}"
        case .array(let items): return "[" + items.map(json).joined(separator: ", ") + "]"
        case .map(let entries):
            let fields = entries.map { entry -> (String, String) in
                guard case .text(let key) = entry.key else { fatalError("vectors use text keys only") }
                return (key, json(entry.value))
            }.sorted { $0.0 < $1.0 }
            return "{" + fields.map { "\(string($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
        case .tagged(let tag, let inner): return "{\"$tag\": \(tag), \"value\": \(json(inner))}"
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .undefined, .simple: fatalError("vectors do not use undefined or simple values")
        }
    }

    static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
