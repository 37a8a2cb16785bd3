@testable import CutlineMediaEngine
import CutlineCore
import Foundation
import Testing

@Suite("Subtitle document")
struct SubtitleDocumentTests {
    @Test func escapesOverrideBlocksAndBackslashes() {
        #expect(SubtitleDocument.escape(#"{\b1}x"#) == "\\{\\\u{2060}b1\\}x")
        // `\N` typed by a user must not become a line break.
        #expect(SubtitleDocument.escape(#"C:\New"#) == "C:\\\u{2060}New")
    }

    @Test func turnsLineBreaksIntoHardBreaksAndControlsIntoSpaces() {
        #expect(SubtitleDocument.escape("a\nb\r\nc\u{7}d") == #"a\Nb\Nc d"#)
    }

    @Test func writesColoursAsASSDoes() {
        #expect(SubtitleDocument.color(OverlayStyle.Color(red: 0x11, green: 0x22, blue: 0x33, opacity: 1)) == "&H00332211")
        #expect(SubtitleDocument.color(OverlayStyle.Color(red: 0, green: 0, blue: 0, opacity: 0)) == "&HFF000000")
    }

    @Test func timesEventsInCentiseconds() {
        #expect(SubtitleDocument.timestamp(3723.456) == "1:02:03.46")
    }

    @Test func emptyTextGivesNoEvent() {
        let document = SubtitleDocument(layout: OverlayLayout(width: 640, height: 360, style: OverlayStyle()))
        let text = document.render(events: [(start: 0, end: 1, lines: []), (start: 1, end: 2, lines: ["hi"])])
        #expect(text.components(separatedBy: "Dialogue:").count == 2)
    }
}
