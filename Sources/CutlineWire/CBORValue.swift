public import Foundation

/// One CBOR data item (RFC 8949). Cutline's wire payloads are built from these and written in
/// deterministic encoding (§4.2): shortest heads, shortest exact floats, sorted map keys, definite lengths.
public indirect enum CBORValue: Sendable, Hashable {
    case unsigned(UInt64)
    /// Major type 1: the value is `-1 - n`.
    case negative(UInt64)
    case bytes(Data)
    case text(String)
    case array([CBORValue])
    /// Entries in the order they were decoded or built; `serialize` sorts them.
    case map([CBORMapEntry])
    case tagged(UInt64, CBORValue)
    case bool(Bool)
    case null
    case undefined
    case float(Double)
    case simple(UInt8)

    public static func int(_ value: Int64) -> CBORValue {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-1 - value))
    }
}

public struct CBORMapEntry: Sendable, Hashable {
    public var key: CBORValue
    public var value: CBORValue
    public init(key: CBORValue, value: CBORValue) {
        self.key = key
        self.value = value
    }
}

/// A malformed or unsupported CBOR input. Carries the byte offset so a bad vector or frame can be found.
public struct CBORError: Error, Sendable, Hashable, CustomStringConvertible {
    public let offset: Int
    public let reason: String

    public var description: String { "malformed CBOR at byte \(offset): \(reason)" }
}

// MARK: - Writing

extension CBORValue {
    /// The deterministic encoding of this item.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(to: &out)
        return out
    }

    public func write(to out: inout [UInt8]) {
        switch self {
        case .unsigned(let n): CBORValue.writeHead(0, n, &out)
        case .negative(let n): CBORValue.writeHead(1, n, &out)
        case .bytes(let data):
            CBORValue.writeHead(2, UInt64(data.count), &out)
            out.append(contentsOf: data)
        case .text(let string): CBORValue.writeText(string, &out)
        case .array(let items):
            CBORValue.writeHead(4, UInt64(items.count), &out)
            for item in items { item.write(to: &out) }
        case .map(let entries):
            CBORValue.writeHead(5, UInt64(entries.count), &out)
            // §4.2.1: keys sorted by the bytewise order of their own deterministic encodings. For text
            // keys (all that Codable writes) that order is: shorter UTF-8 first, then bytewise, since the
            // head encodes the length; so they need not be encoded to be sorted.
            if entries.allSatisfy({ if case .text = $0.key { true } else { false } }) {
                let sorted = entries.sorted { a, b in
                    guard case .text(let x) = a.key, case .text(let y) = b.key else { return false }
                    let (cx, cy) = (x.utf8.count, y.utf8.count)
                    return cx != cy ? cx < cy : x.utf8.lexicographicallyPrecedes(y.utf8)
                }
                for entry in sorted {
                    entry.key.write(to: &out)
                    entry.value.write(to: &out)
                }
            } else {
                let encoded = entries.map { (key: $0.key.serialized(), value: $0.value) }
                for entry in encoded.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                    out.append(contentsOf: entry.key)
                    entry.value.write(to: &out)
                }
            }
        case .tagged(let tag, let inner):
            CBORValue.writeHead(6, tag, &out)
            inner.write(to: &out)
        case .bool(let flag): out.append(flag ? 0xF5 : 0xF4)
        case .null: out.append(0xF6)
        case .undefined: out.append(0xF7)
        case .simple(let value):
            if value < 24 {
                out.append(0xE0 | value)
            } else {
                out.append(0xF8)
                out.append(value)
            }
        case .float(let value): CBORValue.writeFloat(value, &out)
        }
    }

    static func writeText(_ string: String, _ out: inout [UInt8]) {
        var string = string
        string.withUTF8 { utf8 in
            writeHead(3, UInt64(utf8.count), &out)
            out.append(contentsOf: utf8)
        }
    }

    @inline(__always)
    static func writeInt(_ value: Int64, _ out: inout [UInt8]) {
        if value >= 0 {
            writeHead(0, UInt64(value), &out)
        } else {
            writeHead(1, UInt64(-1 - value), &out)
        }
    }

    static func writeHead(_ major: UInt8, _ argument: UInt64, _ out: inout [UInt8]) {
        let type = major << 5
        switch argument {
        case 0..<24:
            out.append(type | UInt8(argument))
        case 24...0xFF:
            out.append(type | 24)
            out.append(UInt8(argument))
        case 0x100...0xFFFF:
            out.append(type | 25)
            appendBigEndian(UInt16(argument), &out)
        case 0x1_0000...0xFFFF_FFFF:
            out.append(type | 26)
            appendBigEndian(UInt32(argument), &out)
        default:
            out.append(type | 27)
            appendBigEndian(argument, &out)
        }
    }

    /// Preferred serialization (§4.1): the shortest of half, single and double that holds the value exactly.
    static func writeFloat(_ value: Double, _ out: inout [UInt8]) {
        if let half = HalfFloat.bits(exactly: value) {
            out.append(0xF9)
            appendBigEndian(half, &out)
        } else if let single = Float(exactly: value) {
            out.append(0xFA)
            appendBigEndian(single.bitPattern, &out)
        } else {
            out.append(0xFB)
            appendBigEndian(value.bitPattern, &out)
        }
    }
}

@inline(__always)
func appendBigEndian<T: FixedWidthInteger>(_ value: T, _ out: inout [UInt8]) {
    var big = value.bigEndian
    withUnsafeBytes(of: &big) { out.append(contentsOf: $0) }
}

/// IEEE 754 binary16 conversions, written out because `Float16` is not available on every platform.
enum HalfFloat {
    static func bits(exactly value: Double) -> UInt16? {
        if value.isNaN { return 0x7E00 }
        if value.isInfinite { return value < 0 ? 0xFC00 : 0x7C00 }
        if value == 0 { return value.sign == .minus ? 0x8000 : 0 }
        guard let single = Float(exactly: value) else { return nil }
        let pattern = single.bitPattern
        let sign = UInt16((pattern >> 16) & 0x8000)
        let exponent = Int((pattern >> 23) & 0xFF) - 127
        let mantissa = pattern & 0x7F_FFFF
        if exponent >= -14 && exponent <= 15 {
            guard mantissa & 0x1FFF == 0 else { return nil }
            return sign | UInt16(exponent + 15) << 10 | UInt16(mantissa >> 13)
        }
        if exponent >= -24 && exponent < -14 {
            // Subnormal half: value = m · 2^-24 with m < 1024.
            let full = mantissa | 0x80_0000
            let shift = UInt32(-(exponent + 1))
            guard full & ((1 << shift) - 1) == 0 else { return nil }
            return sign | UInt16(full >> shift)
        }
        return nil
    }

    static func value(_ bits: UInt16) -> Double {
        let sign: Double = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = Double(bits & 0x3FF)
        switch exponent {
        case 0: return sign * mantissa * 0x1p-24
        case 31: return mantissa == 0 ? sign * .infinity : .nan
        default: return sign * (1 + mantissa / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}

// MARK: - Reading

extension CBORValue {
    /// Limits that keep a hostile input from exhausting the stack or memory.
    public struct ParseLimits: Sendable {
        public var maxDepth: Int
        public init(maxDepth: Int = 64) { self.maxDepth = maxDepth }
    }

    /// Parses exactly one data item; trailing bytes are an error.
    public static func parse(_ bytes: some ContiguousBytes, limits: ParseLimits = .init()) throws(CBORError) -> CBORValue {
        let result: Result<CBORValue, CBORError> = bytes.withUnsafeBytes { buffer in
            var reader = CBORReader(buffer: buffer, maxDepth: limits.maxDepth)
            do throws(CBORError) {
                let value = try reader.readItem(depth: 0)
                guard reader.offset == buffer.count else {
                    return .failure(CBORError(offset: reader.offset, reason: "\(buffer.count - reader.offset) trailing bytes after the data item"))
                }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

extension CBORValue {
    /// Checks that `bytes` hold exactly one well-formed data item within `limits` (what `parse` accepts),
    /// without building it.
    public static func validate(_ bytes: [UInt8], limits: ParseLimits = .init()) throws(CBORError) {
        let failure: CBORError? = bytes.withUnsafeBytes { buffer in
            var reader = CBORReader(buffer: buffer, maxDepth: limits.maxDepth)
            do throws(CBORError) {
                try reader.skipItem(depth: 0)
                guard reader.offset == buffer.count else {
                    return CBORError(offset: reader.offset, reason: "\(buffer.count - reader.offset) trailing bytes after the data item")
                }
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }
}

struct CBORReader {
    let buffer: UnsafeRawBufferPointer
    let maxDepth: Int
    var offset = 0

    init(buffer: UnsafeRawBufferPointer, maxDepth: Int) {
        self.buffer = buffer
        self.maxDepth = maxDepth
    }

    var remaining: Int { buffer.count - offset }

    mutating func byte() throws(CBORError) -> UInt8 {
        guard offset < buffer.count else { throw CBORError(offset: offset, reason: "input ends inside a data item") }
        defer { offset += 1 }
        return buffer[offset]
    }

    mutating func bigEndian<T: FixedWidthInteger>(_: T.Type) throws(CBORError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw CBORError(offset: offset, reason: "input ends inside a \(size)-byte argument") }
        var value: T = 0
        for i in 0..<size { value = value << 8 | T(buffer[offset + i]) }
        offset += size
        return value
    }

    mutating func argument(_ info: UInt8) throws(CBORError) -> UInt64 {
        switch info {
        case 0..<24: return UInt64(info)
        case 24: return UInt64(try byte())
        case 25: return UInt64(try bigEndian(UInt16.self))
        case 26: return UInt64(try bigEndian(UInt32.self))
        case 27: return try bigEndian(UInt64.self)
        case 31: throw CBORError(offset: offset - 1, reason: "indefinite-length items are not allowed (deterministic encoding)")
        default: throw CBORError(offset: offset - 1, reason: "reserved additional information \(info)")
        }
    }

    /// A length that must fit in what is left of the input (each element takes at least `unit` bytes),
    /// checked before anything is allocated for it.
    mutating func length(_ info: UInt8, unit: Int) throws(CBORError) -> Int {
        let start = offset - 1
        let n = try argument(info)
        guard n <= UInt64(remaining / unit) else {
            throw CBORError(offset: start, reason: "declared length \(n) exceeds the \(remaining) bytes left")
        }
        return Int(n)
    }

    /// Steps over one data item, checking it as `readItem` does, allocating nothing.
    mutating func skipItem(depth: Int) throws(CBORError) {
        guard depth < maxDepth else { throw CBORError(offset: offset, reason: "nesting deeper than \(maxDepth)") }
        let start = offset
        let initial = try byte()
        let info = initial & 0x1F
        switch initial >> 5 {
        case 0, 1: _ = try argument(info)
        case 2: offset += try length(info, unit: 1)
        case 3:
            let n = try length(info, unit: 1)
            guard Self.isValidUTF8(UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + n])) else {
                throw CBORError(offset: start, reason: "text string is not valid UTF-8")
            }
            offset += n
        case 4:
            let n = try length(info, unit: 1)
            for _ in 0..<n { try skipItem(depth: depth + 1) }
        case 5:
            let n = try length(info, unit: 2)
            for _ in 0..<2 * n { try skipItem(depth: depth + 1) }
        case 6:
            _ = try argument(info)
            try skipItem(depth: depth + 1)
        default:
            switch info {
            case 0..<24:
                break
            case 24:
                let value = try byte()
                guard value >= 32 else { throw CBORError(offset: start, reason: "simple value \(value) in two-byte form") }
            case 25: _ = try bigEndian(UInt16.self)
            case 26: _ = try bigEndian(UInt32.self)
            case 27: _ = try bigEndian(UInt64.self)
            case 31: throw CBORError(offset: start, reason: "unexpected break code")
            default: throw CBORError(offset: start, reason: "reserved simple value encoding \(info)")
            }
        }
    }

    /// UTF-8 well-formedness as in Unicode's Table 3-7 (no overlongs, surrogates or values past U+10FFFF).
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = bytes.count
        // ASCII, eight bytes at a time: the usual case for keys and most text.
        while i + 8 <= n && bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i += 8 }
        while i < n {
            let lead = bytes[i]
            if lead < 0x80 {
                i += 1
                continue
            }
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            let trailing: Int
            switch lead {
            case 0xC2...0xDF: trailing = 1
            case 0xE0:
                trailing = 2
                low = 0xA0
            case 0xED:
                trailing = 2
                high = 0x9F
            case 0xE1...0xEF: trailing = 2
            case 0xF0:
                trailing = 3
                low = 0x90
            case 0xF4:
                trailing = 3
                high = 0x8F
            case 0xF1...0xF3: trailing = 3
            default: return false
            }
            guard i + trailing < n, (low...high).contains(bytes[i + 1]) else { return false }
            for k in stride(from: 2, through: trailing, by: 1) where bytes[i + k] & 0xC0 != 0x80 { return false }
            i += trailing + 1
        }
        return true
    }

    mutating func readItem(depth: Int) throws(CBORError) -> CBORValue {
        guard depth < maxDepth else { throw CBORError(offset: offset, reason: "nesting deeper than \(maxDepth)") }
        let start = offset
        let initial = try byte()
        let major = initial >> 5
        let info = initial & 0x1F
        switch major {
        case 0: return .unsigned(try argument(info))
        case 1: return .negative(try argument(info))
        case 2:
            let n = try length(info, unit: 1)
            defer { offset += n }
            return .bytes(Data(UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + n])))
        case 3:
            let n = try length(info, unit: 1)
            let raw = UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + n])
            guard let string = String(validating: raw, as: UTF8.self) else {
                throw CBORError(offset: start, reason: "text string is not valid UTF-8")
            }
            offset += n
            return .text(string)
        case 4:
            let n = try length(info, unit: 1)
            var items: [CBORValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try readItem(depth: depth + 1)) }
            return .array(items)
        case 5:
            let n = try length(info, unit: 2)
            var entries: [CBORMapEntry] = []
            entries.reserveCapacity(n)
            for _ in 0..<n {
                let key = try readItem(depth: depth + 1)
                let value = try readItem(depth: depth + 1)
                entries.append(CBORMapEntry(key: key, value: value))
            }
            return .map(entries)
        case 6:
            let tag = try argument(info)
            return .tagged(tag, try readItem(depth: depth + 1))
        default:
            switch info {
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 22: return .null
            case 23: return .undefined
            case 24:
                let value = try byte()
                guard value >= 32 else { throw CBORError(offset: start, reason: "simple value \(value) in two-byte form") }
                return .simple(value)
            case 25: return .float(HalfFloat.value(try bigEndian(UInt16.self)))
            case 26: return .float(Double(Float(bitPattern: try bigEndian(UInt32.self))))
            case 27: return .float(Double(bitPattern: try bigEndian(UInt64.self)))
            case 0..<20: return .simple(info)
            case 31: throw CBORError(offset: start, reason: "unexpected break code")
            default: throw CBORError(offset: start, reason: "reserved simple value encoding \(info)")
            }
        }
    }
}
