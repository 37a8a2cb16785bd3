import Foundation

/// Princeton WordNet 3.0's data files (Debian's wordnet-base), read only to check the lexicon's sources:
/// a synset is the line at its byte offset in `data.POS`, `offset lex_filenum ss_type w_cnt word lex_id …`
/// with w_cnt in hex; an irregular form's base form is in `POS.exc`.
struct WordNet {
    static let directory = URL(fileURLWithPath: "/usr/share/wordnet")

    let data: [String: [UInt8]]
    let exceptions: [String: [String: String]]

    init() throws {
        var data: [String: [UInt8]] = [:]
        var exceptions: [String: [String: String]] = [:]
        for part in ["adj", "adv", "noun", "verb"] {
            data[part] = Array(try Data(contentsOf: Self.directory.appendingPathComponent("data.\(part)")))
            let exc = try String(contentsOf: Self.directory.appendingPathComponent("\(part).exc"), encoding: .utf8)
            for line in exc.split(separator: "\n") {
                let fields = line.split(separator: " ").map(String.init)
                if fields.count >= 2, exceptions[part]?[fields[0]] == nil { exceptions[part, default: [:]][fields[0]] = fields[1] }
            }
        }
        self.data = data
        self.exceptions = exceptions
    }

    /// The words of the synset at `offset` in `data.PART`, lower-cased, without adjective markers.
    func synset(_ part: String, at offset: Int) -> [String] {
        guard let bytes = data[part], offset >= 0, offset < bytes.count else { return [] }
        var end = offset
        while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
        let fields = bytes[offset..<end].split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        guard fields.count > 4, fields[0] == String(format: "%08d", offset), let count = Int(fields[3], radix: 16) else { return [] }
        return (0..<count).compactMap { index in
            guard 4 + index * 2 < fields.count else { return nil }
            let word = fields[4 + index * 2]
            return String(word[..<(word.firstIndex(of: "(") ?? word.endIndex)]).lowercased()
        }
    }

    /// The base forms an inflected word may have ("changed" → change, "began" → begin, "easiest" → easy).
    func baseForms(_ word: String, _ part: String) -> Set<String> {
        var forms: Set<String> = [word]
        if let irregular = exceptions[part]?[word] { forms.insert(irregular) }
        for suffix in ["s", "es", "ed", "d", "est", "st"] where word.hasSuffix(suffix) { forms.insert(String(word.dropLast(suffix.count))) }
        if word.hasSuffix("iest") { forms.insert(String(word.dropLast(4)) + "y") }
        return forms
    }
}
