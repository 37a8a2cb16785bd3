import Foundation

/// A DynamoDB attribute value in the JSON 1.0 wire form (`{"S": "…"}`, `{"N": "12"}`, …).
public indirect enum AttributeValue: Sendable, Hashable, Codable {
    case string(String)
    /// Numbers travel as text to keep their precision.
    case number(String)
    case bool(Bool)
    case null
    case map([String: AttributeValue])
    case list([AttributeValue])

    public static func int(_ value: Int64) -> AttributeValue { .number(String(value)) }
    public static func double(_ value: Double) -> AttributeValue { .number(String(value)) }

    public var string: String? { if case .string(let v) = self { v } else { nil } }
    public var int: Int64? { if case .number(let v) = self { Int64(v) } else { nil } }
    public var double: Double? { if case .number(let v) = self { Double(v) } else { nil } }
    public var map: [String: AttributeValue]? { if case .map(let v) = self { v } else { nil } }
    public var list: [AttributeValue]? { if case .list(let v) = self { v } else { nil } }

    enum CodingKeys: String, CodingKey { case S, N, BOOL, NULL, M, L }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let v = try container.decodeIfPresent(String.self, forKey: .S) {
            self = .string(v)
        } else if let v = try container.decodeIfPresent(String.self, forKey: .N) {
            self = .number(v)
        } else if let v = try container.decodeIfPresent(Bool.self, forKey: .BOOL) {
            self = .bool(v)
        } else if container.contains(.NULL) {
            self = .null
        } else if let v = try container.decodeIfPresent([String: AttributeValue].self, forKey: .M) {
            self = .map(v)
        } else if let v = try container.decodeIfPresent([AttributeValue].self, forKey: .L) {
            self = .list(v)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unsupported DynamoDB attribute type"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .string(let v): try container.encode(v, forKey: .S)
        case .number(let v): try container.encode(v, forKey: .N)
        case .bool(let v): try container.encode(v, forKey: .BOOL)
        case .null: try container.encode(true, forKey: .NULL)
        case .map(let v): try container.encode(v, forKey: .M)
        case .list(let v): try container.encode(v, forKey: .L)
        }
    }
}

public typealias Item = [String: AttributeValue]
