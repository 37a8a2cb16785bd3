import CutlineTestSupport
import Foundation
import Testing

/// `cutline text vary` as a person runs it to see what the offline engine writes: which words it swapped,
/// and how many it is sure of when that is fewer than asked.
struct TextCommandTests {
    func cutline(_ arguments: [String]) throws -> (code: Int32, stdout: String, stderr: String) {
        try ChildProcess.run([TestEnvironment.executable("cutline"), "text", "vary"] + arguments + ["--engine", "offline"], timeout: 60)
    }

    @Test func explainShowsTheWordsEachTextSwapped() throws {
        let run = try cutline(["This trick will change your life", "--count", "24", "--seed", "3", "--explain"])
        #expect(run.code == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "24 texts from offline:lexicon (seed 3):")
        // Every "replaced:" line follows a text holding the new words and not the old.
        var explained = 0
        for (index, line) in lines.enumerated() where line.hasPrefix("      replaced: ") {
            let text = lines[index - 1].lowercased()
            for pair in line.dropFirst("      replaced: ".count).components(separatedBy: ", ") {
                let words = pair.components(separatedBy: " → ")
                #expect(
                    words.count == 2 && text.contains(words[1].lowercased()) && !text.contains(" \(words[0].lowercased()) "), "\(pair) in \(text)")
                explained += 1
            }
        }
        #expect(explained >= 10, "\(run.stdout)")
        let json = try cutline(["This trick will change your life", "--count", "24", "--seed", "3", "--explain", "--json"])
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let replaced = try #require(answer["replaced"] as? [[[String: String]]])
        #expect(replaced.count == 24 && replaced.contains { $0.contains { $0 == ["from": "trick", "to": "hack"] } })
    }

    @Test func aBaseItCannotVaryWellSaysHowManyOrPrintsThoseWithFewer() throws {
        let refused = try cutline(["Best day ever", "--count", "5"])
        #expect(refused.code == 1)
        #expect(
            refused.stderr.contains("too_few: offline:lexicon gave 1 distinct texts") && refused.stderr.contains("not the 5 asked for"),
            "\(refused.stderr)")
        let fewer = try cutline(["Best day ever", "--count", "5", "--fewer"])
        #expect(fewer.code == 0 && fewer.stdout.hasPrefix("1 text from offline:lexicon"), "\(fewer.stdout)")
    }
}
