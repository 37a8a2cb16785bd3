public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Decodes `Decodable` values from CBOR written by `CBOREncoder` (or any encoder using the same mapping).
/// Type mismatches throw `DecodingError` with the coding path; malformed bytes throw `CBORError`.
///
/// The whole input is validated first (well-formed, valid UTF-8, depth, exactly one item), without
/// allocating; decoding then reads fields straight from the bytes, building no item tree.
public struct CBORDecoder: Sendable {
    public var limits: CBORValue.ParseLimits

    public init(limits: CBORValue.ParseLimits = .init()) {
        self.limits = limits
    }

    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try CBORValue.validate(bytes, limits: limits)
        return try CBORDecoderImpl(input: CBORInput(bytes: bytes, requests: ContainerRequests()), offset: 0, codingPath: []).decodeAny(type)
    }

    public func decode<T: Decodable>(_ type: T.Type, from bytes: some ContiguousBytes) throws -> T {
        try decode(type, from: bytes.withUnsafeBytes { [UInt8]($0) })
    }

    /// Decodes an item tree by way of its deterministic encoding, so it must be what `parse` accepts.
    public func decode<T: Decodable>(_ type: T.Type, from value: CBORValue) throws -> T {
        try decode(type, from: value.serialized())
    }
}

/// Validated CBOR bytes, read at item offsets. Validation has proven every head and length sound, so
/// reads here cannot run past the end.
struct CBORInput {
    let bytes: [UInt8]
    /// Counts the containers values ask for while decoding, so a value that asked for none (an empty
    /// struct) can still be held to §5.3's rules for a struct's map.
    let requests: ContainerRequests

    struct Head {
        let major: UInt8
        let info: UInt8
        /// The argument (a length, a value, a tag, or a float's bits).
        let argument: UInt64
        /// Where the item's content begins.
        let content: Int
    }

    func head(at offset: Int) -> Head {
        let initial = bytes[offset]
        let info = initial & 0x1F
        let size = info < 24 ? 0 : 1 << Int(info - 24)
        var argument = UInt64(info)
        if size > 0 {
            argument = 0
            for i in 1...size { argument = argument << 8 | UInt64(bytes[offset + i]) }
        }
        return Head(major: initial >> 5, info: info, argument: argument, content: offset + 1 + size)
    }

    /// The offset just past the item at `offset`.
    func end(of offset: Int) -> Int {
        let head = head(at: offset)
        switch head.major {
        case 2, 3: return head.content + Int(head.argument)
        case 4, 5:
            var position = head.content
            for _ in 0..<(head.major == 5 ? 2 : 1) * Int(head.argument) { position = end(of: position) }
            return position
        case 6: return end(of: head.content)
        default: return head.content
        }
    }

    func text(_ head: Head) -> String { text(head.content..<head.content + Int(head.argument)) }

    func text(_ range: Range<Int>) -> String {
        bytes.withUnsafeBufferPointer { String(decoding: $0[range], as: UTF8.self) }
    }

    /// A short name for error messages.
    func kindName(at offset: Int) -> String {
        let head = head(at: offset)
        switch head.major {
        case 0, 1: return "integer"
        case 2: return "byte string"
        case 3: return "text string"
        case 4: return "array"
        case 5: return "map"
        case 6: return "tag \(head.argument)"
        default:
            switch head.info {
            case 20, 21: return "bool"
            case 22: return "null"
            case 23: return "undefined"
            case 25, 26, 27: return "float"
            default: return "simple value \(head.argument)"
            }
        }
    }
}

/// One per decode call; see `CBORInput.requests`.
final class ContainerRequests {
    var count = 0
}

/// A key for reading any map as a struct's (to check its keys), whatever its keys are.
private struct AnyStructKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

struct CBORDecoderImpl: Decoder {
    let input: CBORInput
    let offset: Int
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func decodeAny<T: Decodable>(_ type: T.Type) throws -> T {
        if let special = try decodeSpecial(type) { return special }
        let before = input.requests.count
        let value = try T(from: self)
        if input.requests.count == before {
            // A type that reads nothing (a struct without fields: its synthesized init(from:) never
            // asks for a container) still gets only what its encoding can be: a map with text keys
            // and no duplicates (§5.3), not any well-formed item.
            _ = try container(keyedBy: AnyStructKey.self)
        }
        return value
    }

    func mismatch(_ expected: Any.Type) -> DecodingError {
        .typeMismatch(expected, .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(input.kindName(at: offset))"))
    }

    /// Foundation's types in their native CBOR forms. Types are compared by metatype, which is far
    /// cheaper than dynamic casts.
    func decodeSpecial<T: Decodable>(_ type: T.Type) throws -> T? {
        let type: any Any.Type = T.self
        if type == Data.self {
            let head = input.head(at: offset)
            guard head.major == 2 else { throw mismatch(Data.self) }
            return (Data(input.bytes[head.content..<head.content + Int(head.argument)]) as! T)
        }
        if type == Date.self {
            let head = input.head(at: offset)
            guard head.major == 6, head.argument == 1 else { throw mismatch(Date.self) }
            let inner = input.head(at: head.content)
            let seconds: Double
            switch inner.major {
            case 0: seconds = Double(inner.argument)
            case 1: seconds = -1 - Double(inner.argument)
            case 7 where (25...27).contains(inner.info): seconds = Self.float(inner)
            default: throw mismatch(Date.self)
            }
            return (Date(timeIntervalSince1970: seconds) as! T)
        }
        if type == UUID.self {
            let head = input.head(at: offset)
            guard head.major == 6, head.argument == 37 else { throw mismatch(UUID.self) }
            // A tag always has an item after it (validated), so its head can be read.
            let inner = input.head(at: head.content)
            guard inner.major == 2, inner.argument == 16 else { throw mismatch(UUID.self) }
            let b = Array(input.bytes[inner.content..<inner.content + 16])
            let uuid = UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
            return (uuid as! T)
        }
        if type == URL.self {
            let head = input.head(at: offset)
            guard head.major == 3 else { throw mismatch(URL.self) }
            let string = input.text(head)
            guard let url = URL(string: string) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "invalid URL \(string)"))
            }
            return (url as! T)
        }
        return nil
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        input.requests.count += 1
        let head = input.head(at: offset)
        guard head.major == 5 else { throw mismatch([String: Any].self) }
        var entries: [KeyEntry] = []
        entries.reserveCapacity(Int(head.argument))
        var position = head.content
        for _ in 0..<head.argument {
            let key = input.head(at: position)
            guard key.major == 3 else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath, debugDescription: "map key is \(input.kindName(at: position)), expected text"))
            }
            let value = key.content + Int(key.argument)
            entries.append(KeyEntry(start: key.content, count: Int(key.argument), value: value))
            position = input.end(of: value)
        }
        // Canonical maps (what CBOREncoder writes) have strictly ascending keys, so no duplicates and
        // one pass proves it; anything else is checked the long way.
        var index: [ArraySlice<UInt8>: Int]?
        if !isStrictlyAscending(entries) {
            if entries.count > 16 {
                index = try largeMapIndex(entries)
            } else if let duplicate = firstDuplicate(entries) {
                throw duplicateKey(duplicate)
            }
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(input: input, entries: entries, index: index, codingPath: codingPath))
    }

    struct KeyEntry {
        /// The key's UTF-8 bytes.
        let start: Int
        let count: Int
        /// Offset of the value item.
        let value: Int

        var bytes: Range<Int> { start..<start + count }
    }

    private func duplicateKey(_ entry: KeyEntry) -> DecodingError {
        .dataCorrupted(.init(codingPath: codingPath, debugDescription: "duplicate map key \"\(input.text(entry.bytes))\""))
    }

    /// Keys compare by their UTF-8 bytes (as on the wire), not by Unicode canonical equivalence.
    private func firstDuplicate(_ entries: [KeyEntry]) -> KeyEntry? {
        let bytes = input.bytes
        for i in entries.indices {
            for j in entries.indices
            where j > i && entries[i].count == entries[j].count
                && bytes[entries[i].bytes].elementsEqual(bytes[entries[j].bytes])
            {
                return entries[i]
            }
        }
        return nil
    }

    /// §4.2.1 order: shorter keys first, then bytewise.
    private func isStrictlyAscending(_ entries: [KeyEntry]) -> Bool {
        input.bytes.withUnsafeBufferPointer { bytes in
            for i in entries.indices.dropFirst() {
                let (a, b) = (entries[i - 1], entries[i])
                if a.count != b.count {
                    if a.count > b.count { return false }
                    continue
                }
                if memcmp(bytes.baseAddress! + a.start, bytes.baseAddress! + b.start, a.count) >= 0 { return false }
            }
            return true
        }
    }

    /// Large maps (dictionaries) are looked up by hashing their keys' bytes, which also finds duplicates.
    private func largeMapIndex(_ entries: [KeyEntry]) throws -> [ArraySlice<UInt8>: Int] {
        var index: [ArraySlice<UInt8>: Int] = [:]
        index.reserveCapacity(entries.count)
        for entry in entries {
            guard index.updateValue(entry.value, forKey: input.bytes[entry.bytes]) == nil else { throw duplicateKey(entry) }
        }
        return index
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        input.requests.count += 1
        let head = input.head(at: offset)
        guard head.major == 4 else { throw mismatch([Any].self) }
        return UnkeyedContainer(input: input, count: Int(head.argument), position: head.content, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        input.requests.count += 1
        return self
    }

    // MARK: Scalars, shared by all containers

    static func float(_ head: CBORInput.Head) -> Double {
        switch head.info {
        case 25: HalfFloat.value(UInt16(head.argument))
        case 26: Double(Float(bitPattern: UInt32(head.argument)))
        default: Double(bitPattern: head.argument)
        }
    }

    static func integer<T: FixedWidthInteger>(_ input: CBORInput, _ offset: Int, _ type: T.Type, path: @autoclosure () -> [any CodingKey]) throws -> T
    {
        let head = input.head(at: offset)
        let result: T?
        switch head.major {
        case 0: result = T(exactly: head.argument)
        case 1: result = head.argument <= UInt64(Int64.max) ? T(exactly: -1 - Int64(head.argument)) : nil
        default:
            throw DecodingError.typeMismatch(
                type, .init(codingPath: path(), debugDescription: "expected \(type), found \(input.kindName(at: offset))"))
        }
        guard let result else {
            throw DecodingError.dataCorrupted(.init(codingPath: path(), debugDescription: "integer does not fit in \(type)"))
        }
        return result
    }

    static func double(_ input: CBORInput, _ offset: Int, path: @autoclosure () -> [any CodingKey]) throws -> Double {
        let head = input.head(at: offset)
        switch head.major {
        case 0: return Double(head.argument)
        case 1: return -1 - Double(head.argument)
        case 7 where (25...27).contains(head.info): return float(head)
        default:
            throw DecodingError.typeMismatch(
                Double.self, .init(codingPath: path(), debugDescription: "expected a number, found \(input.kindName(at: offset))"))
        }
    }

    static func string(_ input: CBORInput, _ offset: Int, path: @autoclosure () -> [any CodingKey]) throws -> String {
        let head = input.head(at: offset)
        guard head.major == 3 else {
            throw DecodingError.typeMismatch(
                String.self, .init(codingPath: path(), debugDescription: "expected text, found \(input.kindName(at: offset))"))
        }
        return input.text(head)
    }

    static func bool(_ input: CBORInput, _ offset: Int, path: @autoclosure () -> [any CodingKey]) throws -> Bool {
        switch input.bytes[offset] {
        case 0xF4: return false
        case 0xF5: return true
        default:
            throw DecodingError.typeMismatch(
                Bool.self, .init(codingPath: path(), debugDescription: "expected a bool, found \(input.kindName(at: offset))"))
        }
    }

    static func isNil(_ input: CBORInput, _ offset: Int) -> Bool {
        input.bytes[offset] == 0xF6 || input.bytes[offset] == 0xF7
    }

    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let input: CBORInput
        let entries: [KeyEntry]
        let index: [ArraySlice<UInt8>: Int]?
        let codingPath: [any CodingKey]

        var allKeys: [Key] { entries.compactMap { Key(stringValue: input.text($0.bytes)) } }
        func contains(_ key: Key) -> Bool { lookup(key.stringValue) != nil }

        /// Structs have few fields, so a scan by UTF-8 bytes beats anything cleverer; large maps are
        /// either canonical (sorted: binary search) or indexed by hash.
        func lookup(_ name: String) -> Int? {
            if let index { return index[ArraySlice(name.utf8)] }
            var name = name
            return name.withUTF8 { wanted in
                input.bytes.withUnsafeBufferPointer { bytes in
                    func order(_ entry: KeyEntry) -> Int {
                        if entry.count != wanted.count { return entry.count < wanted.count ? -1 : 1 }
                        for i in 0..<wanted.count where bytes[entry.start + i] != wanted[i] {
                            return bytes[entry.start + i] < wanted[i] ? -1 : 1
                        }
                        return 0
                    }
                    if entries.count <= 16 {
                        return entries.first { order($0) == 0 }?.value
                    }
                    var (low, high) = (0, entries.count)
                    while low < high {
                        let middle = (low + high) / 2
                        switch order(entries[middle]) {
                        case 0: return entries[middle].value
                        case ..<0: low = middle + 1
                        default: high = middle
                        }
                    }
                    return nil
                }
            }
        }

        func entry(_ key: Key) throws -> Int {
            guard let value = lookup(key.stringValue) else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for key \"\(key.stringValue)\""))
            }
            return value
        }

        func decodeNil(forKey key: Key) throws -> Bool { CBORDecoderImpl.isNil(input, try entry(key)) }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try CBORDecoderImpl.bool(input, entry(key), path: codingPath + [key]) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try CBORDecoderImpl.string(input, entry(key), path: codingPath + [key]) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try CBORDecoderImpl.double(input, entry(key), path: codingPath + [key]) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
            Float(try CBORDecoderImpl.double(input, entry(key), path: codingPath + [key]))
        }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
            try CBORDecoderImpl.integer(input, entry(key), type, path: codingPath + [key])
        }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 {
            try CBORDecoderImpl.integer(input, entry(key), type, path: codingPath + [key])
        }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 {
            try CBORDecoderImpl.integer(input, entry(key), type, path: codingPath + [key])
        }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 {
            try CBORDecoderImpl.integer(input, entry(key), type, path: codingPath + [key])
        }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
            try CBORDecoderImpl.integer(input, entry(key), type, path: codingPath + [key])
        }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt {
            try CBORDecoderImpl.integer(input, entry(key), type, path: codingPath + [key])
        }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 {
            try CBORDecoderImpl.integer(input, entry(key), type, path: codingPath + [key])
        }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
            try CBORDecoderImpl.integer(input, entry(key), type, path: codingPath + [key])
        }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
            try CBORDecoderImpl.integer(input, entry(key), type, path: codingPath + [key])
        }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
            try CBORDecoderImpl.integer(input, entry(key), type, path: codingPath + [key])
        }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try CBORDecoderImpl(input: input, offset: entry(key), codingPath: codingPath + [key]).decodeAny(type)
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try CBORDecoderImpl(input: input, offset: entry(key), codingPath: codingPath + [key]).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try CBORDecoderImpl(input: input, offset: entry(key), codingPath: codingPath + [key]).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder { try decoder(for: "super", path: codingPath) }

        func superDecoder(forKey key: Key) throws -> any Decoder { try decoder(for: key.stringValue, path: codingPath + [key]) }

        /// A missing super key decodes as null, as JSONDecoder does.
        private func decoder(for name: String, path: [any CodingKey]) throws -> CBORDecoderImpl {
            if let value = lookup(name) { return CBORDecoderImpl(input: input, offset: value, codingPath: path) }
            return CBORDecoderImpl(input: CBORInput(bytes: [0xF6], requests: input.requests), offset: 0, codingPath: path)
        }
    }

    struct UnkeyedContainer: UnkeyedDecodingContainer {
        let input: CBORInput
        let itemCount: Int
        /// Offset of the item at `currentIndex`.
        var position: Int
        let codingPath: [any CodingKey]
        var currentIndex = 0

        init(input: CBORInput, count: Int, position: Int, codingPath: [any CodingKey]) {
            self.input = input
            self.itemCount = count
            self.position = position
            self.codingPath = codingPath
        }

        var count: Int? { itemCount }
        var isAtEnd: Bool { currentIndex >= itemCount }

        mutating func next<T>(_ type: T.Type) throws -> (Int, [any CodingKey]) {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(type, .init(codingPath: codingPath, debugDescription: "array has only \(itemCount) elements"))
            }
            let item = position
            let path = codingPath + [IndexKey(intValue: currentIndex)]
            position = input.end(of: item)
            currentIndex += 1
            return (item, path)
        }

        /// A scalar item: steps past it (even if it then fails to decode, as `next` does) without
        /// building its coding path unless decoding fails.
        mutating func nextScalar<T>(_ type: T.Type, _ read: (Int, @autoclosure () -> [any CodingKey]) throws -> T) throws -> T {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(type, .init(codingPath: codingPath, debugDescription: "array has only \(itemCount) elements"))
            }
            let item = position
            let index = currentIndex
            position = input.end(of: item)
            currentIndex += 1
            return try read(item, codingPath + [IndexKey(intValue: index)])
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, CBORDecoderImpl.isNil(input, position) else { return false }
            position += 1
            currentIndex += 1
            return true
        }

        mutating func decode(_ type: Bool.Type) throws -> Bool { try nextScalar(type) { [input] in try CBORDecoderImpl.bool(input, $0, path: $1()) } }
        mutating func decode(_ type: String.Type) throws -> String {
            try nextScalar(type) { [input] in try CBORDecoderImpl.string(input, $0, path: $1()) }
        }
        mutating func decode(_ type: Double.Type) throws -> Double {
            try nextScalar(type) { [input] in try CBORDecoderImpl.double(input, $0, path: $1()) }
        }
        mutating func decode(_ type: Float.Type) throws -> Float {
            Float(try nextScalar(Double.self) { [input] in try CBORDecoderImpl.double(input, $0, path: $1()) })
        }
        mutating func decode(_ type: Int.Type) throws -> Int { try nextInteger(type) }
        mutating func decode(_ type: Int8.Type) throws -> Int8 { try nextInteger(type) }
        mutating func decode(_ type: Int16.Type) throws -> Int16 { try nextInteger(type) }
        mutating func decode(_ type: Int32.Type) throws -> Int32 { try nextInteger(type) }
        mutating func decode(_ type: Int64.Type) throws -> Int64 { try nextInteger(type) }
        mutating func decode(_ type: UInt.Type) throws -> UInt { try nextInteger(type) }
        mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try nextInteger(type) }
        mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try nextInteger(type) }
        mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try nextInteger(type) }
        mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try nextInteger(type) }

        private mutating func nextInteger<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
            try nextScalar(type) { [input] in try CBORDecoderImpl.integer(input, $0, type, path: $1()) }
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let (item, path) = try next(type)
            return try CBORDecoderImpl(input: input, offset: item, codingPath: path).decodeAny(type)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            let (item, path) = try next([String: Any].self)
            return try CBORDecoderImpl(input: input, offset: item, codingPath: path).container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            let (item, path) = try next([Any].self)
            return try CBORDecoderImpl(input: input, offset: item, codingPath: path).unkeyedContainer()
        }

        mutating func superDecoder() throws -> any Decoder {
            let (item, path) = try next(Any.self)
            return CBORDecoderImpl(input: input, offset: item, codingPath: path)
        }
    }
}

extension CBORDecoderImpl: SingleValueDecodingContainer {
    func decodeNil() -> Bool { Self.isNil(input, offset) }

    func decode(_ type: Bool.Type) throws -> Bool { try Self.bool(input, offset, path: codingPath) }
    func decode(_ type: String.Type) throws -> String { try Self.string(input, offset, path: codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try Self.double(input, offset, path: codingPath) }
    func decode(_ type: Float.Type) throws -> Float { Float(try Self.double(input, offset, path: codingPath)) }
    func decode(_ type: Int.Type) throws -> Int { try Self.integer(input, offset, type, path: codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try Self.integer(input, offset, type, path: codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try Self.integer(input, offset, type, path: codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try Self.integer(input, offset, type, path: codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try Self.integer(input, offset, type, path: codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try Self.integer(input, offset, type, path: codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try Self.integer(input, offset, type, path: codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try Self.integer(input, offset, type, path: codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try Self.integer(input, offset, type, path: codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try Self.integer(input, offset, type, path: codingPath) }
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
