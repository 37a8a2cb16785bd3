public import Foundation

/// Encodes `Encodable` values as deterministic CBOR.
///
/// Mapping: keyed containers → maps with text keys; unkeyed → arrays; `nil` → null; `Data` → byte string;
/// `Date` → tag 1 (epoch seconds); `UUID` → tag 37 over its 16 bytes; `URL` → its absolute string.
public struct CBOREncoder: Sendable {
    public init() {}

    public func encode(_ value: some Encodable) throws -> [UInt8] {
        try encodeValue(value).serialized()
    }

    public func encodeValue(_ value: some Encodable) throws -> CBORValue {
        let encoder = CBOREncoderImpl(codingPath: [])
        try encoder.encodeAny(value)
        // A value that writes nothing (an empty struct) is an empty map, as with JSONEncoder.
        return (encoder.node ?? .map(MapBox())).value
    }
}

/// A value under construction. Containers are reference boxes so nested encoders can fill them later.
enum CBORNode {
    case value(CBORValue)
    case map(MapBox)
    case array(ArrayBox)

    var value: CBORValue {
        switch self {
        case .value(let value): value
        case .map(let box): .map(box.entries.map { CBORMapEntry(key: .text($0.key), value: $0.node.value) })
        case .array(let box): .array(box.items.map(\.value))
        }
    }
}

final class MapBox {
    var entries: [(key: String, node: CBORNode)] = []

    /// A key encoded twice keeps its last value. Containers are small, so a scan beats hashing.
    func set(_ key: String, _ node: CBORNode) {
        if let existing = entries.firstIndex(where: { $0.key == key }) {
            entries[existing].node = node
        } else {
            entries.append((key, node))
        }
    }
}

final class ArrayBox {
    var items: [CBORNode] = []
}

final class CBOREncoderImpl: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var node: CBORNode?

    init(codingPath: [any CodingKey]) {
        self.codingPath = codingPath
    }

    /// Foundation's special types get CBOR's native forms instead of their generic Codable shapes.
    static func special(_ value: some Encodable) -> CBORValue? {
        switch value {
        case let data as Data: .bytes(data)
        case let date as Date: .tagged(1, Self.epoch(date.timeIntervalSince1970))
        case let uuid as UUID: .tagged(37, .bytes(withUnsafeBytes(of: uuid.uuid) { Data($0) }))
        case let url as URL: .text(url.absoluteString)
        default: nil
        }
    }

    static func epoch(_ seconds: Double) -> CBORValue {
        if seconds.rounded() == seconds, let whole = Int64(exactly: seconds) { return .int(whole) }
        return .float(seconds)
    }

    func encodeAny(_ value: some Encodable) throws {
        if let special = Self.special(value) {
            node = .value(special)
        } else {
            try value.encode(to: self)
        }
    }

    static func encodeNested(_ value: some Encodable, path: [any CodingKey]) throws -> CBORNode {
        if let special = special(value) { return .value(special) }
        let encoder = CBOREncoderImpl(codingPath: path)
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
        return KeyedEncodingContainer(KeyedContainer<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box: ArrayBox
        if case .array(let existing) = node {
            box = existing
        } else {
            box = ArrayBox()
            node = .array(box)
        }
        return UnkeyedContainer(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(encoder: self) }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let box: MapBox
        let codingPath: [any CodingKey]

        mutating func encodeNil(forKey key: Key) throws { box.set(key.stringValue, .value(.null)) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { box.set(key.stringValue, .value(.bool(value))) }
        mutating func encode(_ value: String, forKey key: Key) throws { box.set(key.stringValue, .value(.text(value))) }
        mutating func encode(_ value: Double, forKey key: Key) throws { box.set(key.stringValue, .value(.float(value))) }
        mutating func encode(_ value: Float, forKey key: Key) throws { box.set(key.stringValue, .value(.float(Double(value)))) }
        mutating func encode(_ value: Int, forKey key: Key) throws { box.set(key.stringValue, .value(.int(Int64(value)))) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { box.set(key.stringValue, .value(.int(value))) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { box.set(key.stringValue, .value(.unsigned(value))) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { box.set(key.stringValue, .value(.unsigned(UInt64(value)))) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            if let integer = integerValue(value) {
                box.set(key.stringValue, .value(integer))
            } else {
                box.set(key.stringValue, try CBOREncoderImpl.encodeNested(value, path: codingPath + [key]))
            }
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let nested = MapBox()
            box.set(key.stringValue, .map(nested))
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, codingPath: codingPath + [key]))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let nested = ArrayBox()
            box.set(key.stringValue, .array(nested))
            return UnkeyedContainer(box: nested, codingPath: codingPath + [key])
        }

        mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            SuperEncoder(codingPath: codingPath + [key]) { [box] node in box.set(key.stringValue, node) }
        }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let box: ArrayBox
        let codingPath: [any CodingKey]
        var count: Int { box.items.count }

        private var nextKey: any CodingKey { IndexKey(intValue: box.items.count) }

        mutating func encodeNil() throws { box.items.append(.value(.null)) }
        mutating func encode(_ value: Bool) throws { box.items.append(.value(.bool(value))) }
        mutating func encode(_ value: String) throws { box.items.append(.value(.text(value))) }
        mutating func encode(_ value: Double) throws { box.items.append(.value(.float(value))) }
        mutating func encode(_ value: Float) throws { box.items.append(.value(.float(Double(value)))) }
        mutating func encode(_ value: Int) throws { box.items.append(.value(.int(Int64(value)))) }
        mutating func encode(_ value: Int64) throws { box.items.append(.value(.int(value))) }
        mutating func encode(_ value: UInt64) throws { box.items.append(.value(.unsigned(value))) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            if let integer = integerValue(value) {
                box.items.append(.value(integer))
            } else {
                box.items.append(try CBOREncoderImpl.encodeNested(value, path: codingPath + [nextKey]))
            }
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let nested = MapBox()
            let path = codingPath + [nextKey]
            box.items.append(.map(nested))
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, codingPath: path))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let nested = ArrayBox()
            let path = codingPath + [nextKey]
            box.items.append(.array(nested))
            return UnkeyedContainer(box: nested, codingPath: path)
        }

        mutating func superEncoder() -> any Encoder {
            let index = box.items.count
            box.items.append(.value(.null))
            return SuperEncoder(codingPath: codingPath + [IndexKey(intValue: index)]) { [box] node in box.items[index] = node }
        }
    }

    struct SingleContainer: SingleValueEncodingContainer {
        let encoder: CBOREncoderImpl
        var codingPath: [any CodingKey] { encoder.codingPath }

        func encodeNil() throws { encoder.node = .value(.null) }
        func encode(_ value: Bool) throws { encoder.node = .value(.bool(value)) }
        func encode(_ value: String) throws { encoder.node = .value(.text(value)) }
        func encode(_ value: Double) throws { encoder.node = .value(.float(value)) }
        func encode(_ value: Float) throws { encoder.node = .value(.float(Double(value))) }
        func encode(_ value: Int) throws { encoder.node = .value(.int(Int64(value))) }
        func encode(_ value: Int64) throws { encoder.node = .value(.int(value)) }
        func encode(_ value: UInt64) throws { encoder.node = .value(.unsigned(value)) }
        func encode<T: Encodable>(_ value: T) throws {
            if let integer = integerValue(value) {
                encoder.node = .value(integer)
            } else {
                encoder.node = try CBOREncoderImpl.encodeNested(value, path: codingPath)
            }
        }
    }

    /// An encoder whose result lands in a parent container once it is complete.
    final class SuperEncoder: Encoder {
        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        let inner: CBOREncoderImpl
        let store: (CBORNode) -> Void

        init(codingPath: [any CodingKey], store: @escaping (CBORNode) -> Void) {
            self.codingPath = codingPath
            self.inner = CBOREncoderImpl(codingPath: codingPath)
            self.store = store
        }

        deinit { store(inner.node ?? .map(MapBox())) }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> { inner.container(keyedBy: type) }
        func unkeyedContainer() -> any UnkeyedEncodingContainer { inner.unkeyedContainer() }
        func singleValueContainer() -> any SingleValueEncodingContainer { inner.singleValueContainer() }
    }
}

/// Fixed-width integers of every size become CBOR integers directly.
@inline(__always)
func integerValue(_ value: some Encodable) -> CBORValue? {
    switch value {
    case let v as Int8: .int(Int64(v))
    case let v as Int16: .int(Int64(v))
    case let v as Int32: .int(Int64(v))
    case let v as UInt8: .unsigned(UInt64(v))
    case let v as UInt16: .unsigned(UInt64(v))
    case let v as UInt32: .unsigned(UInt64(v))
    case let v as UInt: .unsigned(UInt64(v))
    case let v as UInt64: .unsigned(v)
    case let v as Int: .int(Int64(v))
    case let v as Int64: .int(v)
    default: nil
    }
}

struct IndexKey: CodingKey {
    let intValue: Int?
    let stringValue: String
    init(intValue: Int) {
        self.intValue = intValue
        self.stringValue = "Index \(intValue)"
    }
    init?(stringValue: String) { nil }
}
