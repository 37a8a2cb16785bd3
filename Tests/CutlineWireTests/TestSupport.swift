import CutlineTestSupport
import CutlineWire
import Foundation

/// SplitMix64: small, fast, and replayable from a printed seed.
struct SeededGenerator: RandomNumberGenerator {
    let seed: UInt64
    private var state: UInt64

    init(seed: UInt64) {
        self.seed = seed
        self.state = seed
    }

    /// Uses CUTLINE_TEST_SEED when set, else a fresh seed; prints it either way.
    static func fromEnvironment(test: String) -> SeededGenerator {
        let seed = ProcessInfo.processInfo.environment["CUTLINE_TEST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)
        print("\(test): seed \(seed) (replay with CUTLINE_TEST_SEED=\(seed))")
        return SeededGenerator(seed: seed)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum RandomText {
    static let ranges: [ClosedRange<UInt32>] = [0x20...0x7E, 0xA0...0x2FF, 0x400...0x4FF, 0x600...0x6FF, 0x4E00...0x4FFF, 0x1F300...0x1F64F]

    static func make(_ rng: inout SeededGenerator, maxLength: Int = 12) -> String {
        var string = ""
        for _ in 0..<Int.random(in: 0...maxLength, using: &rng) {
            let range = ranges.randomElement(using: &rng)!
            string.unicodeScalars.append(Unicode.Scalar(UInt32.random(in: range, using: &rng))!)
        }
        return string
    }
}

/// A recursive Codable value covering scalars, containers, optionals and enums with payloads.
indirect enum RandomValue: Codable, Hashable {
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes(Data)
    case bool(Bool)
    case nothing
    case list([RandomValue])
    case record([String: RandomValue])
    case pair(RandomValue, RandomValue)
    case maybe(RandomValue?)
    case stamp(Date, UUID)

    static let interestingDoubles: [Double] = [
        0, -0.0, 1, -1, 0.5, 1.1, 65504, 65505, 1e-8, 3.4028234663852886e+38, 1e300, .infinity, -.infinity, .pi, .leastNonzeroMagnitude,
        .greatestFiniteMagnitude,
    ]

    static func make(_ rng: inout SeededGenerator, depth: Int) -> RandomValue {
        let leafOnly = depth >= 4
        switch Int.random(in: 0..<(leafOnly ? 7 : 12), using: &rng) {
        case 0:
            let edges: [Int64] = [0, 1, -1, 23, 24, -24, -25, 255, 256, 65535, 65536, Int64(UInt32.max), Int64(UInt32.max) + 1, .max, .min]
            return .int(Bool.random(using: &rng) ? edges.randomElement(using: &rng)! : Int64.random(in: .min ... .max, using: &rng))
        case 1: return .uint(Bool.random(using: &rng) ? UInt64.max : UInt64.random(in: 0...UInt64.max, using: &rng))
        case 2:
            return .double(
                Bool.random(using: &rng)
                    ? interestingDoubles.randomElement(using: &rng)!
                    : Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng)).isNaN ? 2.5 : Double.random(in: -1e6...1e6, using: &rng))
        case 3: return .string(RandomText.make(&rng))
        case 4: return .bytes(Data((0..<Int.random(in: 0...20, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }))
        case 5: return .bool(Bool.random(using: &rng))
        case 6: return .nothing
        case 7: return .list((0..<Int.random(in: 0...4, using: &rng)).map { _ in make(&rng, depth: depth + 1) })
        case 8:
            var record: [String: RandomValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &rng) { record[RandomText.make(&rng, maxLength: 5)] = make(&rng, depth: depth + 1) }
            return .record(record)
        case 9: return .pair(make(&rng, depth: depth + 1), make(&rng, depth: depth + 1))
        case 10: return .maybe(Bool.random(using: &rng) ? nil : make(&rng, depth: depth + 1))
        default:
            var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let uuid = UUID(
                uuid: (
                    bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10], bytes[11],
                    bytes[12], bytes[13], bytes[14], bytes[15]
                ))
            bytes.removeAll()
            return .stamp(
                Date(
                    timeIntervalSince1970: Double(Int.random(in: -1_000_000...2_000_000_000, using: &rng)) + [0, 0.5, 0.25].randomElement(
                        using: &rng)!), uuid)
        }
    }
}

/// Random raw CBOR items, including shapes Codable never produces (non-text keys, tags, simple values).
enum RandomItem {
    static func make(_ rng: inout SeededGenerator, depth: Int) -> CBORValue {
        switch Int.random(in: 0..<(depth >= 4 ? 8 : 11), using: &rng) {
        case 0: return .unsigned(UInt64.random(in: 0...UInt64.max, using: &rng) >> UInt64.random(in: 0...63, using: &rng))
        case 1: return .negative(UInt64.random(in: 0...UInt64.max, using: &rng) >> UInt64.random(in: 0...63, using: &rng))
        case 2: return .float(Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng)))
        case 3: return .float(Double(Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))))
        case 4: return .text(RandomText.make(&rng))
        case 5: return .bytes(Data((0..<Int.random(in: 0...30, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }))
        case 6: return [.bool(true), .bool(false), .null, .undefined, .simple(UInt8.random(in: 32...255, using: &rng))].randomElement(using: &rng)!
        case 7: return .simple(UInt8.random(in: 0...19, using: &rng))
        case 8: return .array((0..<Int.random(in: 0...5, using: &rng)).map { _ in make(&rng, depth: depth + 1) })
        case 9:
            return .map(
                (0..<Int.random(in: 0...5, using: &rng)).map { _ in
                    CBORMapEntry(key: make(&rng, depth: depth + 1), value: make(&rng, depth: depth + 1))
                })
        default: return .tagged(UInt64.random(in: 0...100_000, using: &rng), make(&rng, depth: depth + 1))
        }
    }
}
