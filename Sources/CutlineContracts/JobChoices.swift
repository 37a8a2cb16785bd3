/// The modes a person chooses between, named as the API and the CLI name them. Decoding an unknown
/// name fails with the names there are, so the error says what to send instead.
public protocol NamedChoice: RawRepresentable, CaseIterable, Codable, Sendable, Hashable where RawValue == String {}

extension NamedChoice {
    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: name) else {
            let names = Self.allCases.map { "\"\($0.rawValue)\"" }
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "is \(names.joined(separator: " or ")), not \"\(name)\""))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// How a video is cut: clips of one length, or seeded random lengths between two.
public enum CuttingKind: String, NamedChoice {
    case fixed, random
}

/// Where the clips' texts come from: one for all, varied from a base by the TextService, or one per clip.
public enum TextMode: String, NamedChoice {
    case single, vary, unique
}
