import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Encodes `Encodable` values as deterministic CBOR.
///
/// Mapping: keyed containers → maps with text keys; unkeyed → arrays; `nil` → null; `Data` → byte string;
/// `Date` → tag 1 (epoch seconds); `UUID` → tag 37 over its 16 bytes; `URL` → its absolute string.
///
/// Scalars are written to bytes as they arrive; only containers are remembered (their map keys must be
/// sorted and their counts written first), and the result is assembled once at the end. A call's
/// message costs a handful of allocations, not one per field.
public struct CBOREncoder: Sendable {
    public init() {}

    public func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = CBOREncoderImpl(output: EncodedBytes(), codingPath: [])
        try encoder.encodeAny(value)
        // A value that writes nothing (an empty struct) is an empty map, as with JSONEncoder.
        return encoder.output.assemble(encoder.node ?? .map(MapBox()))
    }

    /// The encoded value as an item tree, for inspection.
    public func encodeValue(_ value: some Encodable) throws -> CBORValue {
        try CBORValue.parse(encode(value))
    }
}

/// The bytes of one top-level encode: every scalar, in the order written. Containers refer to ranges.
final class EncodedBytes {
    var scratch: [UInt8] = []

    init() { scratch.reserveCapacity(256) }

    // Each of these is one exclusive access to `scratch` for the whole item: the runtime checks every
    // access to a class's stored property, and one per append made those checks a fifth of the cost.

    /// Writes one item with `body` and returns the node that refers to it.
    @inline(__always)
    func item(_ body: (inout [UInt8]) -> Void) -> CBORNode {
        Self.item(&scratch, body)
    }

    /// Writes a map key (a text item; its encoded bytes are what §4.2.1 sorts by) and then its value.
    @inline(__always)
    func entry(_ key: some CodingKey, _ body: (inout [UInt8]) -> Void) -> (key: Range<Int>, node: CBORNode) {
        Self.entry(&scratch, key, body)
    }

    /// Writes a map key whose value is a container (or comes later).
    func key(_ key: some CodingKey) -> Range<Int> {
        Self.entry(&scratch, key) { _ in }.key
    }

    @inline(__always)
    private static func item(_ out: inout [UInt8], _ body: (inout [UInt8]) -> Void) -> CBORNode {
        let start = out.count
        body(&out)
        return .encoded(start..<out.count)
    }

    @inline(__always)
    private static func entry(_ out: inout [UInt8], _ key: some CodingKey, _ body: (inout [UInt8]) -> Void) -> (key: Range<Int>, node: CBORNode) {
        let start = out.count
        CBORValue.writeText(key.stringValue, &out)
        let value = out.count
        body(&out)
        return (start..<value, .encoded(value..<out.count))
    }

    func assemble(_ root: CBORNode) -> [UInt8] {
        if case .encoded(let range) = root, range.count == scratch.count { return scratch }
        var out: [UInt8] = []
        out.reserveCapacity(scratch.count + 16)
        scratch.withUnsafeBufferPointer { source in write(root, from: source, to: &out) }
        return out
    }

    private func write(_ node: CBORNode, from source: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        switch node {
        case .encoded(let range):
            out.append(contentsOf: UnsafeBufferPointer(rebasing: source[range]))
        case .array(let box):
            CBORValue.writeHead(4, UInt64(box.count), &out)
            for segment in box.segments { write(segment, from: source, to: &out) }
        case .map(let box):
            let order = canonicalOrder(box, source)
            CBORValue.writeHead(5, UInt64(order.count), &out)
            for index in order {
                let entry = box.entries[index]
                out.append(contentsOf: UnsafeBufferPointer(rebasing: source[entry.key]))
                write(entry.node, from: source, to: &out)
            }
        }
    }

    /// Entry indices in §4.2.1 order (bytewise order of the encoded keys); a key set twice keeps its
    /// last value.
    private func canonicalOrder(_ box: MapBox, _ bytes: UnsafeBufferPointer<UInt8>) -> [Int] {
        let entries = box.entries
        guard entries.count > 1 else { return Array(entries.indices) }
        let base = bytes.baseAddress!
        func order(_ a: Int, _ b: Int) -> Int32 {
            let (x, y) = (entries[a].key, entries[b].key)
            let common = memcmp(base + x.lowerBound, base + y.lowerBound, min(x.count, y.count))
            return common != 0 ? common : Int32(x.count - y.count)
        }
        // Ties (a repeated key) keep the order they were set in.
        func precedes(_ a: Int, _ b: Int) -> Bool {
            let c = order(a, b)
            return c != 0 ? c < 0 : a < b
        }
        var sorted = Array(entries.indices)
        if sorted.count <= 16 {
            // Maps from structs are small: insertion sort, no closure context to allocate.
            for i in 1..<sorted.count {
                let moving = sorted[i]
                var j = i
                while j > 0 && precedes(moving, sorted[j - 1]) {
                    sorted[j] = sorted[j - 1]
                    j -= 1
                }
                sorted[j] = moving
            }
        } else {
            sorted.sort(by: precedes)
        }
        // Repeated keys are now neighbours: keep the last one set.
        var kept = 0
        for index in sorted {
            if kept > 0 && order(sorted[kept - 1], index) == 0 {
                sorted[kept - 1] = index
            } else {
                sorted[kept] = index
                kept += 1
            }
        }
        sorted.removeLast(sorted.count - kept)
        return sorted
    }
}

/// A value under construction: bytes already written, or a container still open to more items.
enum CBORNode {
    case encoded(Range<Int>)
    case map(MapBox)
    case array(ArrayBox)
}

final class MapBox {
    /// Each key's encoded text item and its value.
    var entries: [(key: Range<Int>, node: CBORNode)] = []

    init() { entries.reserveCapacity(8) }
}

final class ArrayBox {
    var count = 0
    /// Items in order; neighbouring scalars share one range.
    var segments: [CBORNode] = []

    func append(_ node: CBORNode) {
        count += 1
        if case .encoded(let range) = node, case .encoded(let previous)? = segments.last, previous.upperBound == range.lowerBound {
            segments[segments.count - 1] = .encoded(previous.lowerBound..<range.upperBound)
        } else {
            segments.append(node)
        }
    }
}

final class CBOREncoderImpl: Encoder {
    let output: EncodedBytes
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var node: CBORNode?

    init(output: EncodedBytes, codingPath: [any CodingKey]) {
        self.output = output
        self.codingPath = codingPath
    }

    func encodeAny<T: Encodable>(_ value: T) throws {
        if let scalar = output.scalar(value) {
            node = scalar
        } else {
            try value.encode(to: self)
        }
    }

    /// A nested value: scalars and Foundation's special types directly, anything else through an
    /// encoder of its own that shares this one's bytes.
    func encodeNested<T: Encodable>(_ value: T, path: @autoclosure () -> [any CodingKey]) throws -> CBORNode {
        if let scalar = output.scalar(value) { return scalar }
        let encoder = CBOREncoderImpl(output: output, codingPath: path())
        try value.encode(to: encoder)
        // An Encodable that writes nothing becomes an empty map, as JSONEncoder does.
        return encoder.node ?? .map(MapBox())
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box: MapBox
        if case .map(let existing) = node {
            box = existing
        } else {
            box = MapBox()
            node = .map(box)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self, box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box: ArrayBox
        if case .array(let existing) = node {
            box = existing
        } else {
            box = ArrayBox()
            node = .array(box)
        }
        return UnkeyedContainer(encoder: self, box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(encoder: self) }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: CBOREncoderImpl
        let box: MapBox
        let codingPath: [any CodingKey]

        private func set(_ key: Key, _ body: (inout [UInt8]) -> Void) {
            box.entries.append(encoder.output.entry(key, body))
        }

        mutating func encodeNil(forKey key: Key) throws { set(key) { $0.append(0xF6) } }
        mutating func encode(_ value: Bool, forKey key: Key) throws { set(key) { $0.append(value ? 0xF5 : 0xF4) } }
        mutating func encode(_ value: String, forKey key: Key) throws { set(key) { CBORValue.writeText(value, &$0) } }
        mutating func encode(_ value: Double, forKey key: Key) throws { set(key) { CBORValue.writeFloat(value, &$0) } }
        mutating func encode(_ value: Float, forKey key: Key) throws { set(key) { CBORValue.writeFloat(Double(value), &$0) } }
        mutating func encode(_ value: Int, forKey key: Key) throws { set(key) { CBORValue.writeInt(Int64(value), &$0) } }
        mutating func encode(_ value: Int8, forKey key: Key) throws { set(key) { CBORValue.writeInt(Int64(value), &$0) } }
        mutating func encode(_ value: Int16, forKey key: Key) throws { set(key) { CBORValue.writeInt(Int64(value), &$0) } }
        mutating func encode(_ value: Int32, forKey key: Key) throws { set(key) { CBORValue.writeInt(Int64(value), &$0) } }
        mutating func encode(_ value: Int64, forKey key: Key) throws { set(key) { CBORValue.writeInt(value, &$0) } }
        mutating func encode(_ value: UInt, forKey key: Key) throws { set(key) { CBORValue.writeHead(0, UInt64(value), &$0) } }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { set(key) { CBORValue.writeHead(0, UInt64(value), &$0) } }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { set(key) { CBORValue.writeHead(0, UInt64(value), &$0) } }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { set(key) { CBORValue.writeHead(0, UInt64(value), &$0) } }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { set(key) { CBORValue.writeHead(0, value, &$0) } }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            let name = encoder.output.key(key)
            box.entries.append((name, try encoder.encodeNested(value, path: codingPath + [key])))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let nested = MapBox()
            box.entries.append((encoder.output.key(key), .map(nested)))
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: encoder, box: nested, codingPath: codingPath + [key]))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let nested = ArrayBox()
            box.entries.append((encoder.output.key(key), .array(nested)))
            return UnkeyedContainer(encoder: encoder, box: nested, codingPath: codingPath + [key])
        }

        // The key "super" need not be a case of `Key` (most CodingKeys have none), so it is written
        // as a plain text key rather than built with `Key(stringValue:)`.
        mutating func superEncoder() -> any Encoder { reserveSuper(SuperKey()) }

        mutating func superEncoder(forKey key: Key) -> any Encoder { reserveSuper(key) }

        private func reserveSuper(_ key: some CodingKey) -> any Encoder {
            // The entry is reserved now (so its place among repeated keys is kept) and filled in when
            // the super encoder is done.
            let box = self.box
            let index = box.entries.count
            box.entries.append((encoder.output.key(key), .map(MapBox())))
            return SuperEncoder(output: encoder.output, codingPath: codingPath + [key]) { node in box.entries[index].node = node }
        }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let encoder: CBOREncoderImpl
        let box: ArrayBox
        let codingPath: [any CodingKey]
        var count: Int { box.count }

        private var nextKey: any CodingKey { IndexKey(intValue: box.count) }

        private func append(_ body: (inout [UInt8]) -> Void) { box.append(encoder.output.item(body)) }

        mutating func encodeNil() throws { append { $0.append(0xF6) } }
        mutating func encode(_ value: Bool) throws { append { $0.append(value ? 0xF5 : 0xF4) } }
        mutating func encode(_ value: String) throws { append { CBORValue.writeText(value, &$0) } }
        mutating func encode(_ value: Double) throws { append { CBORValue.writeFloat(value, &$0) } }
        mutating func encode(_ value: Float) throws { append { CBORValue.writeFloat(Double(value), &$0) } }
        mutating func encode(_ value: Int) throws { append { CBORValue.writeInt(Int64(value), &$0) } }
        mutating func encode(_ value: Int8) throws { append { CBORValue.writeInt(Int64(value), &$0) } }
        mutating func encode(_ value: Int16) throws { append { CBORValue.writeInt(Int64(value), &$0) } }
        mutating func encode(_ value: Int32) throws { append { CBORValue.writeInt(Int64(value), &$0) } }
        mutating func encode(_ value: Int64) throws { append { CBORValue.writeInt(value, &$0) } }
        mutating func encode(_ value: UInt) throws { append { CBORValue.writeHead(0, UInt64(value), &$0) } }
        mutating func encode(_ value: UInt8) throws { append { CBORValue.writeHead(0, UInt64(value), &$0) } }
        mutating func encode(_ value: UInt16) throws { append { CBORValue.writeHead(0, UInt64(value), &$0) } }
        mutating func encode(_ value: UInt32) throws { append { CBORValue.writeHead(0, UInt64(value), &$0) } }
        mutating func encode(_ value: UInt64) throws { append { CBORValue.writeHead(0, value, &$0) } }
        mutating func encode<T: Encodable>(_ value: T) throws {
            box.append(try encoder.encodeNested(value, path: codingPath + [nextKey]))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let nested = MapBox()
            let path = codingPath + [nextKey]
            box.append(.map(nested))
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: encoder, box: nested, codingPath: path))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let nested = ArrayBox()
            let path = codingPath + [nextKey]
            box.append(.array(nested))
            return UnkeyedContainer(encoder: encoder, box: nested, codingPath: path)
        }

        mutating func superEncoder() -> any Encoder {
            let box = self.box
            let index = box.segments.count
            let path = codingPath + [nextKey]
            // A segment of its own (a container, so no scalar merges into it), replaced when done.
            box.count += 1
            box.segments.append(.map(MapBox()))
            return SuperEncoder(output: encoder.output, codingPath: path) { node in box.segments[index] = node }
        }
    }

    struct SingleContainer: SingleValueEncodingContainer {
        let encoder: CBOREncoderImpl
        var codingPath: [any CodingKey] { encoder.codingPath }

        private func set(_ body: (inout [UInt8]) -> Void) { encoder.node = encoder.output.item(body) }

        func encodeNil() throws { set { $0.append(0xF6) } }
        func encode(_ value: Bool) throws { set { $0.append(value ? 0xF5 : 0xF4) } }
        func encode(_ value: String) throws { set { CBORValue.writeText(value, &$0) } }
        func encode(_ value: Double) throws { set { CBORValue.writeFloat(value, &$0) } }
        func encode(_ value: Float) throws { set { CBORValue.writeFloat(Double(value), &$0) } }
        func encode(_ value: Int) throws { set { CBORValue.writeInt(Int64(value), &$0) } }
        func encode(_ value: Int8) throws { set { CBORValue.writeInt(Int64(value), &$0) } }
        func encode(_ value: Int16) throws { set { CBORValue.writeInt(Int64(value), &$0) } }
        func encode(_ value: Int32) throws { set { CBORValue.writeInt(Int64(value), &$0) } }
        func encode(_ value: Int64) throws { set { CBORValue.writeInt(value, &$0) } }
        func encode(_ value: UInt) throws { set { CBORValue.writeHead(0, UInt64(value), &$0) } }
        func encode(_ value: UInt8) throws { set { CBORValue.writeHead(0, UInt64(value), &$0) } }
        func encode(_ value: UInt16) throws { set { CBORValue.writeHead(0, UInt64(value), &$0) } }
        func encode(_ value: UInt32) throws { set { CBORValue.writeHead(0, UInt64(value), &$0) } }
        func encode(_ value: UInt64) throws { set { CBORValue.writeHead(0, value, &$0) } }
        func encode<T: Encodable>(_ value: T) throws {
            encoder.node = try encoder.encodeNested(value, path: codingPath)
        }
    }

    /// An encoder whose result lands in a parent container once it is complete.
    final class SuperEncoder: Encoder {
        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        let inner: CBOREncoderImpl
        let store: (CBORNode) -> Void

        init(output: EncodedBytes, codingPath: [any CodingKey], store: @escaping (CBORNode) -> Void) {
            self.codingPath = codingPath
            self.inner = CBOREncoderImpl(output: output, codingPath: codingPath)
            self.store = store
        }

        deinit { store(inner.node ?? .map(MapBox())) }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> { inner.container(keyedBy: type) }
        func unkeyedContainer() -> any UnkeyedEncodingContainer { inner.unkeyedContainer() }
        func singleValueContainer() -> any SingleValueEncodingContainer { inner.singleValueContainer() }
    }
}

extension EncodedBytes {
    /// Integers of every width and Foundation's special types (which get CBOR's native forms instead
    /// of their generic Codable shapes), written directly; nil for anything else. Types are compared
    /// by metatype, which is far cheaper than a chain of dynamic casts.
    func scalar<T: Encodable>(_ value: T) -> CBORNode? {
        let type: any Any.Type = T.self
        if type == Int.self { return item { CBORValue.writeInt(Int64(value as! Int), &$0) } }
        if type == Int64.self { return item { CBORValue.writeInt(value as! Int64, &$0) } }
        if type == Int32.self { return item { CBORValue.writeInt(Int64(value as! Int32), &$0) } }
        if type == Int16.self { return item { CBORValue.writeInt(Int64(value as! Int16), &$0) } }
        if type == Int8.self { return item { CBORValue.writeInt(Int64(value as! Int8), &$0) } }
        if type == UInt.self { return item { CBORValue.writeHead(0, UInt64(value as! UInt), &$0) } }
        if type == UInt64.self { return item { CBORValue.writeHead(0, value as! UInt64, &$0) } }
        if type == UInt32.self { return item { CBORValue.writeHead(0, UInt64(value as! UInt32), &$0) } }
        if type == UInt16.self { return item { CBORValue.writeHead(0, UInt64(value as! UInt16), &$0) } }
        if type == UInt8.self { return item { CBORValue.writeHead(0, UInt64(value as! UInt8), &$0) } }
        if type == Data.self {
            return item { out in
                let data = value as! Data
                CBORValue.writeHead(2, UInt64(data.count), &out)
                out.append(contentsOf: data)
            }
        }
        if type == Date.self {
            return item { out in
                CBORValue.writeHead(6, 1, &out)
                let seconds = (value as! Date).timeIntervalSince1970
                if seconds.rounded() == seconds, let whole = Int64(exactly: seconds) {
                    CBORValue.writeInt(whole, &out)
                } else {
                    CBORValue.writeFloat(seconds, &out)
                }
            }
        }
        if type == UUID.self {
            return item { out in
                CBORValue.writeHead(6, 37, &out)
                CBORValue.writeHead(2, 16, &out)
                withUnsafeBytes(of: (value as! UUID).uuid) { out.append(contentsOf: $0) }
            }
        }
        if type == URL.self { return item { CBORValue.writeText((value as! URL).absoluteString, &$0) } }
        return nil
    }
}

/// The key `superEncoder()` writes under, as Swift's own encoders do.
struct SuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }
    init() {}
    init?(stringValue: String) {
        guard stringValue == "super" else { return nil }
    }
    init?(intValue: Int) { nil }
}

struct IndexKey: CodingKey {
    let index: Int
    var intValue: Int? { index }
    /// Built only when asked for (an error message), not for every element.
    var stringValue: String { "Index \(index)" }
    init(intValue: Int) { self.index = intValue }
    init?(stringValue: String) { nil }
}
