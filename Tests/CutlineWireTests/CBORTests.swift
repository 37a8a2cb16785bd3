import CutlineTestSupport
import CutlineWire
import Foundation
import Testing

/// RFC 8949 Appendix A: the RFC's own encodings, so the codec is checked against facts it did not produce.
@Suite struct CBORAppendixATests {
    static let integers: [(Int64, String)] = [
        (0, "00"), (1, "01"), (10, "0a"), (23, "17"), (24, "1818"), (25, "1819"), (100, "1864"),
        (1000, "1903e8"), (1_000_000, "1a000f4240"), (1_000_000_000_000, "1b000000e8d4a51000"),
        (-1, "20"), (-10, "29"), (-100, "3863"), (-1000, "3903e7"),
    ]

    @Test(arguments: integers)
    func integerEncodesAsInTheRFC(value: Int64, hex: String) throws {
        #expect(try CBOREncoder().encode(value).hex == hex)
        #expect(try CBORDecoder().decode(Int64.self, from: Array(hex: hex)) == value)
    }

    @Test func extremeIntegersUseEightByteHeads() throws {
        #expect(try CBOREncoder().encode(UInt64.max).hex == "1bffffffffffffffff")
        #expect(try CBOREncoder().encode(Int64.min).hex == "3b7fffffffffffffff")
        #expect(try CBOREncoder().encode(Int64.max).hex == "1b7fffffffffffffff")
        #expect(try CBORDecoder().decode(UInt64.self, from: Array(hex: "1bffffffffffffffff")) == UInt64.max)
        #expect(try CBORDecoder().decode(Int64.self, from: Array(hex: "3b7fffffffffffffff")) == Int64.min)
    }

    static let floats: [(Double, String)] = [
        (0.0, "f90000"), (-0.0, "f98000"), (1.0, "f93c00"), (1.1, "fb3ff199999999999a"), (1.5, "f93e00"),
        (65504.0, "f97bff"), (100_000.0, "fa47c35000"), (3.4028234663852886e+38, "fa7f7fffff"),
        (1.0e+300, "fb7e37e43c8800759c"), (5.960464477539063e-8, "f90001"), (0.00006103515625, "f90400"),
        (-4.0, "f9c400"), (-4.1, "fbc010666666666666"), (.infinity, "f97c00"), (-.infinity, "f9fc00"),
    ]

    @Test(arguments: floats)
    func floatUsesTheShortestExactForm(value: Double, hex: String) throws {
        #expect(try CBOREncoder().encode(value).hex == hex)
        let decoded = try CBORDecoder().decode(Double.self, from: Array(hex: hex))
        #expect(decoded == value && decoded.sign == value.sign)
    }

    @Test func nanHasOneCanonicalEncoding() throws {
        #expect(try CBOREncoder().encode(Double.nan).hex == "f97e00")
        #expect(try CBOREncoder().encode(-Double.signalingNaN).hex == "f97e00")
        #expect(try CBORDecoder().decode(Double.self, from: Array(hex: "fb7ff8000000000000")).isNaN)
    }

    static let simpleItems: [(CBORValue, String)] = [
        (.bool(false), "f4"), (.bool(true), "f5"), (.null, "f6"), (.undefined, "f7"),
        (.text(""), "60"), (.text("a"), "6161"), (.text("IETF"), "6449455446"), (.text("\"\\"), "62225c"),
        (.text("ü"), "62c3bc"), (.text("水"), "63e6b0b4"), (.text("𐅑"), "64f0908591"),
        (.bytes(Data([1, 2, 3, 4])), "4401020304"), (.array([]), "80"),
        (.array([.unsigned(1), .unsigned(2), .unsigned(3)]), "83010203"), (.map([]), "a0"),
        (.tagged(1, .unsigned(1_363_896_240)), "c11a514b67b0"), (.simple(16), "f0"), (.simple(255), "f8ff"),
    ]

    @Test(arguments: simpleItems)
    func itemEncodesAsInTheRFC(value: CBORValue, hex: String) throws {
        #expect(value.serialized().hex == hex)
        #expect(try CBORValue.parse(Array(hex: hex)) == value)
    }

    @Test func mapKeysAreSortedByTheirEncodedBytes() throws {
        // §4.2.1: shorter keys first, then bytewise; insertion order must not matter.
        let value = CBORValue.map([
            CBORMapEntry(key: .text("aa"), value: .unsigned(3)),
            CBORMapEntry(key: .text("b"), value: .unsigned(2)),
            CBORMapEntry(key: .text("a"), value: .unsigned(1)),
        ])
        #expect(value.serialized().hex == "a3616101616202626161" + "03")
    }
}

// MARK: - Codable shapes

struct Everything: Codable, Hashable {
    var int: Int
    var int8: Int8
    var int16: Int16
    var int32: Int32
    var int64: Int64
    var uint: UInt
    var uint8: UInt8
    var uint16: UInt16
    var uint32: UInt32
    var uint64: UInt64
    var double: Double
    var float: Float
    var bool: Bool
    var string: String
    var data: Data
    var date: Date
    var uuid: UUID
    var url: URL
    var optionalPresent: String?
    var optionalAbsent: String?
    var array: [Int]
    var arrayOfOptionals: [Int?]
    var nested: Nested
    var nestedArrays: [[String]]
    var dictionary: [String: Int]
    var intKeyed: [Int: String]
    var shapes: [Shape]
    var level: Level

    struct Nested: Codable, Hashable {
        var name: String
        var children: [Nested]
    }

    enum Shape: Codable, Hashable {
        case point
        case circle(radius: Double)
        case rectangle(width: Int, height: Int)
        case labelled(String, Int)
    }

    enum Level: String, Codable, Hashable {
        case low, high
    }

    static let sample = Everything(
        int: -42, int8: .min, int16: .max, int32: .min, int64: .min, uint: 7, uint8: .max, uint16: 300,
        uint32: .max, uint64: .max, double: 1.1, float: 1.5, bool: true, string: "Grüße, 世界 🎬",
        data: Data([0, 1, 2, 255]), date: Date(timeIntervalSince1970: 1_700_000_000.25),
        uuid: UUID(uuidString: "0F6B3C1E-3B8A-4F55-9C1B-2D3E4F5A6B7C")!, url: URL(string: "https://example.com/a?b=c")!,
        optionalPresent: "here", optionalAbsent: nil, array: [1, -1, 1000], arrayOfOptionals: [1, nil, 3],
        nested: Nested(name: "root", children: [Nested(name: "leaf", children: [])]),
        nestedArrays: [["a"], [], ["b", "c"]], dictionary: ["one": 1, "two": 2], intKeyed: [1: "x", -5: "y"],
        shapes: [.point, .circle(radius: 2.5), .rectangle(width: 3, height: 4), .labelled("l", 9)], level: .high
    )
}

@Suite struct CBORCodableTests {
    @Test func everyShapeRoundTrips() throws {
        let bytes = try CBOREncoder().encode(Everything.sample)
        let decoded = try CBORDecoder().decode(Everything.self, from: bytes)
        #expect(decoded == Everything.sample)
        // Re-encoding what was decoded gives the same bytes: the encoding is deterministic.
        #expect(try CBOREncoder().encode(decoded) == bytes)
    }

    @Test func absentOptionalIsOmittedAndNilInArrayIsNull() throws {
        let value = try CBOREncoder().encodeValue(Everything.sample)
        guard case .map(let entries) = value else {
            Issue.record("not a map")
            return
        }
        #expect(!entries.contains { $0.key == .text("optionalAbsent") })
        #expect(entries.first { $0.key == .text("arrayOfOptionals") }?.value == .array([.unsigned(1), .null, .unsigned(3)]))
    }

    @Test func foundationTypesUseNativeCBORForms() throws {
        let uuid = UUID(uuidString: "0F6B3C1E-3B8A-4F55-9C1B-2D3E4F5A6B7C")!
        #expect(try CBOREncoder().encode(uuid).hex == "d82550" + "0f6b3c1e3b8a4f559c1b2d3e4f5a6b7c")
        #expect(try CBOREncoder().encode(Date(timeIntervalSince1970: 1_363_896_240)).hex == "c11a514b67b0")
        #expect(try CBOREncoder().encode(Date(timeIntervalSince1970: 1.5)).hex == "c1f93e00")
        #expect(try CBOREncoder().encode(Data([1, 2])).hex == "420102")
    }

    @Test func integerOutOfRangeIsAClearError() throws {
        let bytes = try CBOREncoder().encode(300)
        #expect(throws: DecodingError.self) { try CBORDecoder().decode(UInt8.self, from: bytes) }
        let negative = try CBOREncoder().encode(-1)
        #expect(throws: DecodingError.self) { try CBORDecoder().decode(UInt64.self, from: negative) }
    }

    @Test func missingKeyNamesTheKey() throws {
        struct Wanted: Codable {
            var present: Int
            var required: String
        }
        struct Given: Codable { var present: Int }
        let bytes = try CBOREncoder().encode(Given(present: 1))
        do {
            _ = try CBORDecoder().decode(Wanted.self, from: bytes)
            Issue.record("decoded a value with a missing key")
        } catch DecodingError.keyNotFound(let key, _) {
            #expect(key.stringValue == "required")
        }
    }

    @Test func duplicateMapKeysAreRejected() throws {
        struct One: Codable { var a: Int }
        // {"a": 1, "a": 2}
        #expect(throws: DecodingError.self) { try CBORDecoder().decode(One.self, from: Array(hex: "a2616101616102")) }
    }

    /// Randomized round trips; the seed is printed so a failure can be replayed with CUTLINE_TEST_SEED.
    @Test func randomValuesRoundTrip() throws {
        var rng = SeededGenerator.fromEnvironment(test: "randomValuesRoundTrip")
        for _ in 0..<500 {
            let value = RandomValue.make(&rng, depth: 0)
            let bytes = try CBOREncoder().encode(value)
            let decoded = try CBORDecoder().decode(RandomValue.self, from: bytes)
            #expect(decoded == value, "seed \(rng.seed)")
            // The item tree (an independent serializer) writes exactly these bytes: they are canonical.
            #expect(try CBORValue.parse(bytes).serialized() == bytes, "seed \(rng.seed)")
            #expect(try CBOREncoder().encode(decoded) == bytes, "seed \(rng.seed)")
        }
    }

    @Test func randomItemTreesSerializeDeterministically() throws {
        var rng = SeededGenerator.fromEnvironment(test: "randomItemTreesSerializeDeterministically")
        for _ in 0..<500 {
            let item = RandomItem.make(&rng, depth: 0)
            let bytes = item.serialized()
            let parsed = try CBORValue.parse(bytes)
            #expect(parsed.serialized() == bytes, "seed \(rng.seed)")
        }
    }
}

@Suite struct CBORMalformedInputTests {
    static let malformed: [(String, String)] = [
        ("truncated integer", "19"),
        ("truncated text", "6461"),
        ("trailing bytes", "0000"),
        ("indefinite array", "9f01ff"),
        ("invalid UTF-8", "62c328"),
        ("reserved additional info", "1c"),
        ("lone break", "ff"),
        ("two-byte simple below 32", "f818"),
        ("empty input", ""),
    ]

    @Test(arguments: malformed)
    func malformedInputThrowsCBORError(name: String, hex: String) {
        #expect(throws: CBORError.self, "\(name)") { try CBORValue.parse(Array(hex: hex)) }
    }

    @Test func hugeDeclaredLengthIsRefusedBeforeAllocating() {
        // An array claiming 2^64-1 elements in 9 bytes: the length is checked against what is left.
        #expect(throws: CBORError.self) { try CBORValue.parse(Array(hex: "9bffffffffffffffff")) }
        #expect(throws: CBORError.self) { try CBORValue.parse(Array(hex: "5a7fffffff00")) }
    }

    @Test func deepNestingIsRefusedWithoutExhaustingTheStack() {
        let bomb = [UInt8](repeating: 0x81, count: 100_000) + [0x00]
        #expect(throws: CBORError.self) { try CBORValue.parse(bomb) }
    }

    @Test func randomGarbageIsRefusedTheSameWayByTheTypedDecoder() {
        var rng = SeededGenerator.fromEnvironment(test: "randomGarbageIsRefusedTheSameWayByTheTypedDecoder")
        for _ in 0..<5000 {
            let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var parseError: CBORError?
            do { _ = try CBORValue.parse(bytes) } catch { parseError = error }
            do {
                _ = try CBORDecoder().decode(RandomValue.self, from: bytes)
                #expect(parseError == nil, "\(bytes.hex) decoded although it does not parse, seed \(rng.seed)")
            } catch let error as CBORError {
                // Malformed bytes: the same error the parser gives.
                #expect(error == parseError, "\(bytes.hex), seed \(rng.seed)")
            } catch {
                // Well-formed but not a RandomValue: a type error, never for malformed bytes.
                #expect(parseError == nil && error is DecodingError, "\(bytes.hex): \(error), seed \(rng.seed)")
            }
        }
    }
}

/// The typed decoder reads straight from the bytes after a validation pass; these hold it to the same
/// rules as the item parser.
@Suite struct CBORDirectDecodingTests {
    @Test(arguments: CBORMalformedInputTests.malformed)
    func malformedInputIsACBORErrorForTheTypedDecoderToo(name: String, hex: String) {
        #expect(throws: CBORError.self, "\(name)") { try CBORDecoder().decode(Int.self, from: Array(hex: hex)) }
        #expect(throws: CBORError.self, "\(name)") { try CBORValue.validate(Array(hex: hex)) }
    }

    @Test func foundationTypesGivenTheWrongItemAreTypeMismatches() {
        // One-byte items at the very end of the input: nothing after them may be read.
        for hex in ["01", "f6", "40", "60", "c1" + "f5", "d825" + "01", "d825" + "4101"] {
            #expect(throws: DecodingError.self, "\(hex)") { try CBORDecoder().decode(UUID.self, from: Array(hex: hex)) }
            #expect(throws: DecodingError.self, "\(hex)") { try CBORDecoder().decode(Date.self, from: Array(hex: hex)) }
        }
        #expect(throws: DecodingError.self) { try CBORDecoder().decode(Data.self, from: Array(hex: "01")) }
        #expect(throws: DecodingError.self) { try CBORDecoder().decode(URL.self, from: Array(hex: "01")) }
    }

    @Test func malformedFieldTheTypeIgnoresIsStillRefused() {
        struct One: Codable { var a: Int }
        // {"a": 1, "b": <text with invalid UTF-8>}
        #expect(throws: CBORError.self) { try CBORDecoder().decode(One.self, from: Array(hex: "a26161016162" + "62c328")) }
    }

    @Test func validationAgreesWithTheParserOnRandomBytes() {
        var rng = SeededGenerator.fromEnvironment(test: "validationAgreesWithTheParserOnRandomBytes")
        for _ in 0..<20_000 {
            // Text heads with random content exercise the UTF-8 check; the rest is random structure.
            var bytes = (0..<Int.random(in: 0...24, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if Bool.random(using: &rng) { bytes.insert(0x60 | UInt8(bytes.count), at: 0) }
            var parseError: CBORError?
            var validateError: CBORError?
            do { _ = try CBORValue.parse(bytes) } catch { parseError = error }
            do { try CBORValue.validate(bytes) } catch { validateError = error }
            #expect(parseError == validateError, "\(bytes.hex), seed \(rng.seed)")
        }
    }

    @Test func utf8CheckMatchesTheStandardLibrary() {
        var rng = SeededGenerator.fromEnvironment(test: "utf8CheckMatchesTheStandardLibrary")
        let interesting: [UInt8] = [
            0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xA0, 0x9F, 0xED, 0xEF, 0xF0, 0x90, 0x8F, 0xF4, 0xF5, 0xFF,
        ]
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0...12, using: &rng)).map { _ in
                Bool.random(using: &rng) ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
            let item = [0x60 | UInt8(text.count)] + text
            let valid = text.withUnsafeBytes { String(validating: $0, as: UTF8.self) } != nil
            #expect(((try? CBORValue.validate(item)) != nil) == valid, "\(text.hex)")
        }
    }

    @Test func largeDictionariesRoundTrip() throws {
        let dictionary = Dictionary(uniqueKeysWithValues: (0..<2_000).map { ("key-\($0)", $0) })
        let decoded = try CBORDecoder().decode([String: Int].self, from: CBOREncoder().encode(dictionary))
        #expect(decoded == dictionary)
    }

    @Test func mapsInAnyKeyOrderDecode() throws {
        struct Pair: Codable, Equatable {
            var a: Int
            var bb: Int
        }
        // {"bb": 2, "a": 1}: not canonical order, still a valid map.
        #expect(try CBORDecoder().decode(Pair.self, from: Array(hex: "a2626262026161" + "01")) == Pair(a: 1, bb: 2))
        let shuffled = CBORValue.map((0..<40).reversed().map { CBORMapEntry(key: .text("k\($0)"), value: .unsigned(UInt64($0))) })
        var bytes: [UInt8] = []
        // Written by hand in the given (reverse) order, as a non-canonical encoder would.
        guard case .map(let entries) = shuffled else { return }
        bytes.append(0xB8)
        bytes.append(UInt8(entries.count))
        for entry in entries {
            bytes += entry.key.serialized()
            bytes += entry.value.serialized()
        }
        let decoded = try CBORDecoder().decode([String: Int].self, from: bytes)
        #expect(decoded.count == 40 && decoded["k7"] == 7)
    }

    @Test func duplicateKeysInLargeMapsAreRejected() {
        var entries = (0..<30).map { CBORMapEntry(key: .text("k\($0)"), value: .unsigned(UInt64($0))) }
        entries.append(CBORMapEntry(key: .text("k3"), value: .unsigned(99)))
        #expect(throws: DecodingError.self) { try CBORDecoder().decode([String: Int].self, from: CBORValue.map(entries).serialized()) }
    }

    @Test func aKeyEncodedTwiceKeepsItsLastValue() throws {
        struct Twice: Encodable {
            enum Keys: String, CodingKey { case a, b }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(1, forKey: .a)
                try container.encode("x", forKey: .b)
                try container.encode(2, forKey: .a)
            }
        }
        // {"a": 2, "b": "x"}
        #expect(try CBOREncoder().encode(Twice()).hex == "a26161026162" + "6178")
    }

    @Test func nestingIsLimitedTheSameWayByEveryPath() throws {
        // 64 levels (the top-level item is level 1) are allowed, 65 are not.
        let deepest = [UInt8](repeating: 0x81, count: 63) + [0x00]
        let tooDeep = [UInt8](repeating: 0x81, count: 64) + [0x00]
        _ = try CBORValue.parse(deepest)
        try CBORValue.validate(deepest)
        #expect(throws: CBORError.self) { try CBORValue.parse(tooDeep) }
        #expect(throws: CBORError.self) { try CBORValue.validate(tooDeep) }
        #expect(throws: CBORError.self) { try CBORDecoder().decode([Int].self, from: tooDeep) }
        #expect(throws: CBORError.self) { try CBORDecoder().decode([Int].self, from: Array(hex: "9bffffffffffffffff")) }
    }

    /// The encoder sorts by encoded key bytes; the item tree sorts text keys by length, then bytes. Keys
    /// whose length heads differ in size (23, 24, 255, 256 bytes) are where the two could part.
    @Test func encoderOutputIsWhatTheItemTreeSerializes() throws {
        var rng = SeededGenerator.fromEnvironment(test: "encoderOutputIsWhatTheItemTreeSerializes")
        for _ in 0..<200 {
            var dictionary: [String: Int] = [:]
            for _ in 0..<Int.random(in: 0...40, using: &rng) {
                let length = [0, 1, 22, 23, 24, 25, 254, 255, 256, 300].randomElement(using: &rng)!
                let key = String((0..<length).map { _ in "ab\u{e9}z".randomElement(using: &rng)! })
                dictionary[key] = Int.random(in: -1000...1000, using: &rng)
            }
            let bytes = try CBOREncoder().encode(dictionary)
            #expect(try CBORValue.parse(bytes).serialized() == bytes, "seed \(rng.seed)")
            #expect(try CBORDecoder().decode([String: Int].self, from: bytes) == dictionary, "seed \(rng.seed)")
        }
    }

    @Test func aKeyRepeatedInALargeMapKeepsItsLastValue() throws {
        struct Many: Encodable {
            struct Key: CodingKey {
                let stringValue: String
                var intValue: Int? { nil }
                init(stringValue: String) { self.stringValue = stringValue }
                init?(intValue: Int) { nil }
            }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Key.self)
                for i in 0..<20 { try container.encode(i, forKey: Key(stringValue: "k\(i)")) }
                try container.encode(-1, forKey: Key(stringValue: "k7"))
                var nested = container.nestedUnkeyedContainer(forKey: Key(stringValue: "k3"))
                try nested.encode(true)
            }
        }
        let decoded = try CBORDecoder().decode([String: CBORValueProbe].self, from: CBOREncoder().encode(Many()))
        #expect(decoded.count == 20)
        #expect(decoded["k7"] == .int(-1))
        #expect(decoded["k3"] == .list([true]))
        #expect(decoded["k19"] == .int(19))
    }

    @Test func unkeyedSuperEncoderFillsItsPlace() throws {
        struct Wrapper: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.unkeyedContainer()
                try container.encode(1)
                try "middle".encode(to: container.superEncoder())
                try container.encode(3)
            }
        }
        #expect(try CBOREncoder().encode(Wrapper()).hex == "83" + "01" + "666d6964646c65" + "03")
    }

    @Test func superEncodersLandInTheirSlots() throws {
        struct Base: Codable, Equatable { var x: Int }
        struct Derived: Codable, Equatable {
            var base: Base
            var y: Int
            enum Keys: String, CodingKey { case y, base }
            init(base: Base, y: Int) {
                self.base = base
                self.y = y
            }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: Keys.self)
                base = try Base(from: container.superDecoder(forKey: .base))
                y = try container.decode(Int.self, forKey: .y)
            }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                try base.encode(to: container.superEncoder(forKey: .base))
                try container.encode(y, forKey: .y)
            }
        }
        let value = Derived(base: Base(x: 5), y: 6)
        let bytes = try CBOREncoder().encode(value)
        #expect(
            try CBORValue.parse(bytes)
                == .map([
                    CBORMapEntry(key: .text("y"), value: .unsigned(6)),
                    CBORMapEntry(key: .text("base"), value: .map([CBORMapEntry(key: .text("x"), value: .unsigned(5))])),
                ]))
        #expect(try CBORDecoder().decode(Derived.self, from: bytes) == value)
    }

    @Test func keyedSuperEncoderNeedsNoSuperCaseInTheKeys() throws {
        // Most CodingKeys have no `super` case; the encoder must not need one (it used to trap).
        struct Child: Encodable {
            enum Keys: String, CodingKey { case a }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(1, forKey: .a)
                try 2.encode(to: container.superEncoder())
            }
        }
        #expect(try CBOREncoder().encode(Child()).hex == "a2" + "6161" + "01" + "657375706572" + "02")
    }

    struct Empty: Codable, Equatable {}

    /// A struct without fields reads only what its encoding can be: a map with text keys and no
    /// duplicates (§5.3); its synthesized decoder asks for nothing, so the decoder must check.
    @Test(arguments: ["01", "80", "60", "f6", "a10102", "a2617801617801", "c0a0"])
    func emptyStructRefusesAnythingButAMap(hex: String) {
        #expect(throws: DecodingError.self) { try CBORDecoder().decode(Empty.self, from: Array(hex: hex)) }
    }

    @Test func emptyStructReadsAnEmptyMapOrUnknownKeys() throws {
        #expect(try CBORDecoder().decode(Empty.self, from: Array(hex: "a0")) == Empty())
        #expect(try CBORDecoder().decode(Empty.self, from: Array(hex: "a1617801")) == Empty())
        struct Holder: Codable, Equatable { var inner: Empty }
        #expect(try CBORDecoder().decode(Holder.self, from: Array(hex: "a165696e6e6572a0")) == Holder(inner: Empty()))
        #expect(throws: DecodingError.self) { try CBORDecoder().decode(Holder.self, from: Array(hex: "a165696e6e657201")) }
    }

    @Test func arraysOfScalarsAndContainersInterleave() throws {
        struct Item: Codable, Equatable { var n: Int }
        enum Entry: Codable, Equatable {
            case number(Int)
            case item(Item)
        }
        let value: [Entry] = [.number(1), .item(Item(n: 2)), .number(3), .number(4), .item(Item(n: 5))]
        #expect(try CBORDecoder().decode([Entry].self, from: CBOREncoder().encode(value)) == value)
        let numbers: [[Int]] = [[1, 2, 3], [], [4]]
        let bytes = try CBOREncoder().encode(numbers)
        #expect(bytes.hex == "83" + "83010203" + "80" + "8104")
    }
}

/// An integer or a list of bools, for reading back maps whose values differ in kind.
enum CBORValueProbe: Decodable, Equatable {
    case int(Int)
    case list([Bool])

    init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if let number = try? single.decode(Int.self) {
            self = .int(number)
        } else {
            self = .list(try single.decode([Bool].self))
        }
    }
}
