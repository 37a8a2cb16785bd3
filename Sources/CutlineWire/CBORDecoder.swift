public import Foundation

/// Decodes `Decodable` values from CBOR written by `CBOREncoder` (or any encoder using the same mapping).
/// Type mismatches throw `DecodingError` with the coding path; malformed bytes throw `CBORError`.
public struct CBORDecoder: Sendable {
    public var limits: CBORValue.ParseLimits

    public init(limits: CBORValue.ParseLimits = .init()) {
        self.limits = limits
    }

    public func decode<T: Decodable>(_ type: T.Type, from bytes: some ContiguousBytes) throws -> T {
        try decode(type, from: CBORValue.parse(bytes, limits: limits))
    }

    public func decode<T: Decodable>(_ type: T.Type, from value: CBORValue) throws -> T {
        try CBORDecoderImpl(value: value, codingPath: []).decodeAny(type)
    }
}

struct CBORDecoderImpl: Decoder {
    let value: CBORValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func decodeAny<T: Decodable>(_ type: T.Type) throws -> T {
        if let special = try decodeSpecial(type) { return special }
        return try T(from: self)
    }

    func mismatch(_ expected: Any.Type) -> DecodingError {
        .typeMismatch(expected, .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(value.kindName)"))
    }

    func decodeSpecial<T: Decodable>(_ type: T.Type) throws -> T? {
        if type == Data.self {
            guard case .bytes(let data) = value else { throw mismatch(Data.self) }
            return (data as! T)
        }
        if type == Date.self {
            guard case .tagged(1, let inner) = value else { throw mismatch(Date.self) }
            let seconds: Double
            switch inner {
            case .unsigned(let n): seconds = Double(n)
            case .negative(let n): seconds = -1 - Double(n)
            case .float(let f): seconds = f
            default: throw mismatch(Date.self)
            }
            return (Date(timeIntervalSince1970: seconds) as! T)
        }
        if type == UUID.self {
            guard case .tagged(37, .bytes(let data)) = value, data.count == 16 else { throw mismatch(UUID.self) }
            let bytes = [UInt8](data)
            let uuid = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                                   bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
            return (uuid as! T)
        }
        if type == URL.self {
            guard case .text(let string) = value else { throw mismatch(URL.self) }
            guard let url = URL(string: string) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "invalid URL \(string)"))
            }
            return (url as! T)
        }
        return nil
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .map(let entries) = value else { throw mismatch([String: Any].self) }
        var keyed: [(key: String, value: CBORValue)] = []
        keyed.reserveCapacity(entries.count)
        for entry in entries {
            guard case .text(let key) = entry.key else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "map key is \(entry.key.kindName), expected text"))
            }
            keyed.append((key, entry.value))
        }
        if let duplicate = Self.firstDuplicate(keyed) {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "duplicate map key \"\(duplicate)\""))
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(entries: keyed, codingPath: codingPath))
    }

    /// Keys compare by their UTF-8 bytes (as on the wire), not by Unicode canonical equivalence.
    static func firstDuplicate(_ keyed: [(key: String, value: CBORValue)]) -> String? {
        if keyed.count <= 16 {
            for i in keyed.indices {
                for j in keyed.indices where j > i && keyed[i].key.utf8.elementsEqual(keyed[j].key.utf8) { return keyed[i].key }
            }
            return nil
        }
        var seen = Set<[UInt8]>()
        for entry in keyed where !seen.insert(Array(entry.key.utf8)).inserted { return entry.key }
        return nil
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw mismatch([Any].self) }
        return UnkeyedContainer(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    // MARK: Scalars, shared by all containers

    static func integer<T: FixedWidthInteger>(_ value: CBORValue, _ type: T.Type, path: [any CodingKey]) throws -> T {
        let result: T?
        switch value {
        case .unsigned(let n): result = T(exactly: n)
        case .negative(let n): result = n <= UInt64(Int64.max) ? T(exactly: -1 - Int64(n)) : nil
        default:
            throw DecodingError.typeMismatch(type, .init(codingPath: path, debugDescription: "expected \(type), found \(value.kindName)"))
        }
        guard let result else {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "integer does not fit in \(type)"))
        }
        return result
    }

    static func double(_ value: CBORValue, path: [any CodingKey]) throws -> Double {
        switch value {
        case .float(let f): return f
        case .unsigned(let n): return Double(n)
        case .negative(let n): return -1 - Double(n)
        default:
            throw DecodingError.typeMismatch(Double.self, .init(codingPath: path, debugDescription: "expected a number, found \(value.kindName)"))
        }
    }

    static func string(_ value: CBORValue, path: [any CodingKey]) throws -> String {
        guard case .text(let string) = value else {
            throw DecodingError.typeMismatch(String.self, .init(codingPath: path, debugDescription: "expected text, found \(value.kindName)"))
        }
        return string
    }

    static func bool(_ value: CBORValue, path: [any CodingKey]) throws -> Bool {
        guard case .bool(let flag) = value else {
            throw DecodingError.typeMismatch(Bool.self, .init(codingPath: path, debugDescription: "expected a bool, found \(value.kindName)"))
        }
        return flag
    }

    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let entries: [(key: String, value: CBORValue)]
        let codingPath: [any CodingKey]

        var allKeys: [Key] { entries.compactMap { Key(stringValue: $0.key) } }
        func contains(_ key: Key) -> Bool { lookup(key.stringValue) != nil }

        /// Structs have few fields, so a scan by UTF-8 bytes beats building a dictionary per map.
        func lookup(_ name: String) -> CBORValue? {
            entries.first { $0.key.utf8.elementsEqual(name.utf8) }?.value
        }

        func entry(_ key: Key) throws -> CBORValue {
            guard let value = lookup(key.stringValue) else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for key \"\(key.stringValue)\""))
            }
            return value
        }

        func decodeNil(forKey key: Key) throws -> Bool {
            switch try entry(key) {
            case .null, .undefined: true
            default: false
            }
        }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try CBORDecoderImpl.bool(entry(key), path: codingPath + [key]) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try CBORDecoderImpl.string(entry(key), path: codingPath + [key]) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try CBORDecoderImpl.double(entry(key), path: codingPath + [key]) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try CBORDecoderImpl.double(entry(key), path: codingPath + [key])) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try CBORDecoderImpl.integer(entry(key), type, path: codingPath + [key]) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try CBORDecoderImpl.integer(entry(key), type, path: codingPath + [key]) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try CBORDecoderImpl.integer(entry(key), type, path: codingPath + [key]) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try CBORDecoderImpl.integer(entry(key), type, path: codingPath + [key]) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try CBORDecoderImpl.integer(entry(key), type, path: codingPath + [key]) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try CBORDecoderImpl.integer(entry(key), type, path: codingPath + [key]) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try CBORDecoderImpl.integer(entry(key), type, path: codingPath + [key]) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try CBORDecoderImpl.integer(entry(key), type, path: codingPath + [key]) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try CBORDecoderImpl.integer(entry(key), type, path: codingPath + [key]) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try CBORDecoderImpl.integer(entry(key), type, path: codingPath + [key]) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try CBORDecoderImpl(value: entry(key), codingPath: codingPath + [key]).decodeAny(type)
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try CBORDecoderImpl(value: entry(key), codingPath: codingPath + [key]).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try CBORDecoderImpl(value: entry(key), codingPath: codingPath + [key]).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder {
            CBORDecoderImpl(value: lookup("super") ?? .null, codingPath: codingPath)
        }

        func superDecoder(forKey key: Key) throws -> any Decoder {
            CBORDecoderImpl(value: lookup(key.stringValue) ?? .null, codingPath: codingPath + [key])
        }
    }

    struct UnkeyedContainer: UnkeyedDecodingContainer {
        let items: [CBORValue]
        let codingPath: [any CodingKey]
        var currentIndex = 0

        init(items: [CBORValue], codingPath: [any CodingKey]) {
            self.items = items
            self.codingPath = codingPath
        }

        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        mutating func next<T>(_ type: T.Type) throws -> (CBORValue, [any CodingKey]) {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(type, .init(codingPath: codingPath, debugDescription: "array has only \(items.count) elements"))
            }
            defer { currentIndex += 1 }
            return (items[currentIndex], codingPath + [IndexKey(intValue: currentIndex)])
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd else { return false }
            switch items[currentIndex] {
            case .null, .undefined:
                currentIndex += 1
                return true
            default:
                return false
            }
        }

        mutating func decode(_ type: Bool.Type) throws -> Bool { let (v, p) = try next(type); return try CBORDecoderImpl.bool(v, path: p) }
        mutating func decode(_ type: String.Type) throws -> String { let (v, p) = try next(type); return try CBORDecoderImpl.string(v, path: p) }
        mutating func decode(_ type: Double.Type) throws -> Double { let (v, p) = try next(type); return try CBORDecoderImpl.double(v, path: p) }
        mutating func decode(_ type: Float.Type) throws -> Float { let (v, p) = try next(type); return Float(try CBORDecoderImpl.double(v, path: p)) }
        mutating func decode(_ type: Int.Type) throws -> Int { let (v, p) = try next(type); return try CBORDecoderImpl.integer(v, type, path: p) }
        mutating func decode(_ type: Int8.Type) throws -> Int8 { let (v, p) = try next(type); return try CBORDecoderImpl.integer(v, type, path: p) }
        mutating func decode(_ type: Int16.Type) throws -> Int16 { let (v, p) = try next(type); return try CBORDecoderImpl.integer(v, type, path: p) }
        mutating func decode(_ type: Int32.Type) throws -> Int32 { let (v, p) = try next(type); return try CBORDecoderImpl.integer(v, type, path: p) }
        mutating func decode(_ type: Int64.Type) throws -> Int64 { let (v, p) = try next(type); return try CBORDecoderImpl.integer(v, type, path: p) }
        mutating func decode(_ type: UInt.Type) throws -> UInt { let (v, p) = try next(type); return try CBORDecoderImpl.integer(v, type, path: p) }
        mutating func decode(_ type: UInt8.Type) throws -> UInt8 { let (v, p) = try next(type); return try CBORDecoderImpl.integer(v, type, path: p) }
        mutating func decode(_ type: UInt16.Type) throws -> UInt16 { let (v, p) = try next(type); return try CBORDecoderImpl.integer(v, type, path: p) }
        mutating func decode(_ type: UInt32.Type) throws -> UInt32 { let (v, p) = try next(type); return try CBORDecoderImpl.integer(v, type, path: p) }
        mutating func decode(_ type: UInt64.Type) throws -> UInt64 { let (v, p) = try next(type); return try CBORDecoderImpl.integer(v, type, path: p) }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let (v, p) = try next(type)
            return try CBORDecoderImpl(value: v, codingPath: p).decodeAny(type)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            let (v, p) = try next([String: Any].self)
            return try CBORDecoderImpl(value: v, codingPath: p).container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            let (v, p) = try next([Any].self)
            return try CBORDecoderImpl(value: v, codingPath: p).unkeyedContainer()
        }

        mutating func superDecoder() throws -> any Decoder {
            let (v, p) = try next(Any.self)
            return CBORDecoderImpl(value: v, codingPath: p)
        }
    }
}

extension CBORDecoderImpl: SingleValueDecodingContainer {
    func decodeNil() -> Bool {
        switch value {
        case .null, .undefined: true
        default: false
        }
    }

    func decode(_ type: Bool.Type) throws -> Bool { try Self.bool(value, path: codingPath) }
    func decode(_ type: String.Type) throws -> String { try Self.string(value, path: codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try Self.double(value, path: codingPath) }
    func decode(_ type: Float.Type) throws -> Float { Float(try Self.double(value, path: codingPath)) }
    func decode(_ type: Int.Type) throws -> Int { try Self.integer(value, type, path: codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try Self.integer(value, type, path: codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try Self.integer(value, type, path: codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try Self.integer(value, type, path: codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try Self.integer(value, type, path: codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try Self.integer(value, type, path: codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try Self.integer(value, type, path: codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try Self.integer(value, type, path: codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try Self.integer(value, type, path: codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try Self.integer(value, type, path: codingPath) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeAny(type) }
}

extension CBORValue {
    /// A short name for error messages.
    public var kindName: String {
        switch self {
        case .unsigned, .negative: "integer"
        case .bytes: "byte string"
        case .text: "text string"
        case .array: "array"
        case .map: "map"
        case .tagged(let tag, _): "tag \(tag)"
        case .bool: "bool"
        case .null: "null"
        case .undefined: "undefined"
        case .float: "float"
        case .simple(let value): "simple value \(value)"
        }
    }
}
