public import Foundation

/// Synonyms from Princeton WordNet 3.0's database files (Debian's `wordnet-base`), read directly: the
/// index files list each lemma's synsets most frequent sense first, with the byte offset of each synset's
/// line in the data file. Only adjectives, adverbs and verbs are read (nouns are mostly names of things,
/// where a synonym changes what is meant).
public final class WordNet: Sendable {
    public enum PartOfSpeech: String, Sendable, CaseIterable {
        case adjective = "adj"
        case adverb = "adv"
        case verb = "verb"
        case noun = "noun"
    }

    struct Entry: Sendable {
        /// Synset offsets, the most frequent sense first.
        let offsets: [Int]
        /// How many of the senses are attested in the tagged corpus (the frequent ones).
        let taggedSenses: Int
    }

    /// The default location of Debian's package.
    public static let defaultDirectory = URL(fileURLWithPath: "/usr/share/wordnet")

    let directory: URL
    private let index: [PartOfSpeech: [String: Entry]]
    private let data: [PartOfSpeech: [UInt8]]

    /// Loads the index and data files of every part of speech (about 30 MB; a second or so).
    public init(directory: URL = WordNet.defaultDirectory) throws(TextEngineError) {
        self.directory = directory
        var index: [PartOfSpeech: [String: Entry]] = [:]
        var data: [PartOfSpeech: [UInt8]] = [:]
        for part in PartOfSpeech.allCases {
            let indexPath = directory.appendingPathComponent("index.\(part.rawValue)")
            let dataPath = directory.appendingPathComponent("data.\(part.rawValue)")
            guard let indexBytes = FileManager.default.contents(atPath: indexPath.path),
                let dataBytes = FileManager.default.contents(atPath: dataPath.path)
            else {
                throw TextEngineError(
                    .unavailable,
                    "WordNet is not at \(directory.path) (no \(indexPath.lastPathComponent) or \(dataPath.lastPathComponent)); "
                        + "install Debian's wordnet-base (scripts/bootstrap does) or set CUTLINE_WORDNET_DIR")
            }
            index[part] = Self.parseIndex(Array(indexBytes))
            data[part] = part == .noun ? [] : Array(dataBytes)
        }
        self.index = index
        self.data = data
    }

    /// `lemma pos synset_cnt p_cnt [ptr_symbol…] sense_cnt tagsense_cnt synset_offset…`; lines that
    /// start with two spaces are the licence.
    static func parseIndex(_ bytes: [UInt8]) -> [String: Entry] {
        var entries: [String: Entry] = [:]
        for line in bytes.split(separator: UInt8(ascii: "\n")) where line.first != UInt8(ascii: " ") {
            let fields = line.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
            guard fields.count >= 6, let pointers = Int(fields[3]), fields.count >= 6 + pointers,
                let tagged = Int(fields[5 + pointers])
            else { continue }
            let offsets = fields[(6 + pointers)...].compactMap { Int($0) }
            entries[fields[0]] = Entry(offsets: offsets, taggedSenses: tagged)
        }
        return entries
    }

    /// How many tagged senses `word` has as this part of speech (0 when it is not one).
    public func taggedSenses(_ word: String, as part: PartOfSpeech) -> Int {
        index[part]?[word]?.taggedSenses ?? 0
    }

    /// Single-word synonyms of `word` as `part`, from its most frequent senses first (at most `senses`
    /// of them), without the word itself and without repeats.
    public func synonyms(of word: String, as part: PartOfSpeech, senses: Int = 2) -> [String] {
        guard part != .noun, let entry = index[part]?[word], let bytes = data[part] else { return [] }
        var found: [String] = []
        for offset in entry.offsets.prefix(senses) {
            for synonym in Self.words(atOffset: offset, in: bytes) where synonym != word && !found.contains(synonym) {
                found.append(synonym)
            }
        }
        return found
    }

    /// The words of the synset whose line starts at `offset`:
    /// `synset_offset lex_filenum ss_type w_cnt word lex_id [word lex_id…] …` (w_cnt in hex); an
    /// adjective may carry a marker such as `(a)` or `(p)`. Collocations (with `_`) are left out.
    static func words(atOffset offset: Int, in bytes: [UInt8]) -> [String] {
        guard offset >= 0, offset < bytes.count else { return [] }
        var end = offset
        while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
        let fields = bytes[offset..<end].split(separator: UInt8(ascii: " "), maxSplits: 64).map { String(decoding: $0, as: UTF8.self) }
        guard fields.count > 4, let count = Int(fields[3], radix: 16) else { return [] }
        var words: [String] = []
        for index in 0..<count where 4 + index * 2 < fields.count {
            var word = fields[4 + index * 2]
            if let marker = word.firstIndex(of: "(") { word = String(word[..<marker]) }
            if !word.contains("_"), word.allSatisfy({ $0.isLetter || $0 == "-" || $0 == "'" }) { words.append(word.lowercased()) }
        }
        return words
    }
}
