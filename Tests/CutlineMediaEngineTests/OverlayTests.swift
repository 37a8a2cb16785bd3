import CutlineCore
import CutlineMediaEngine
import Foundation
import Testing

/// What tesseract reads in the frame `seconds` into `clip`, optionally only in a horizontal band
/// (`band` of `bands`, counted from the top).
/// `language` is a tesseract language pack; `enlarge` doubles the frame first (off: read at the clip's
/// own resolution).
func ocr(
    _ clip: String, at seconds: Double, band: (Int, Int)? = nil, language: String = "eng", enlarge: Bool = true, in dir: TemporaryDirectory
) throws -> String {
    let image = dir.file("frame-\(UUID().uuidString).png")
    // The overlay is white on a dark box: keeping only near-white pixels (as black on white, twice the
    // size) hides the busy picture around it, which otherwise makes tesseract read noise.
    var filters = "format=gray,\(enlarge ? "scale=iw*2:ih*2," : "")lut=y='if(gt(val,225),0,255)'"
    if let (index, count) = band {
        filters = "crop=iw:ih/\(count):0:ih*\(index)/\(count)," + filters
    }
    // (No -ss for 0: on a still image, such as a thumbnail, it would skip the only frame.)
    try ffmpeg((seconds > 0 ? ["-ss", String(seconds)] : []) + ["-i", clip, "-frames:v", "1", "-vf", filters, image])
    return try runTool("tesseract", [image, "-", "-l", language])
}

/// Letters and digits only, lower-cased: OCR's spacing and punctuation are not what is tested.
func normalized(_ text: String) -> String {
    String(text.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
}

@Suite("Overlay")
struct OverlayTests {
    init() {
        FFmpegLog.setLevel(.error)
    }

    @Test func ocrFindsEachClipsTextAndNothingOnAnEmptyOne() async throws {
        let dir = try TemporaryDirectory()
        let texts = ["Morning Cutline overlay", "", "Evening Cutline overlay"]
        let (_, clips) = try await renderClips(try Fixtures.bigBuckBunny, mode: .fixed(seconds: 2), texts: { texts[$0] }, in: dir)
        #expect(clips.count == 3)
        #expect(normalized(try ocr(clips[0].path, at: 1, in: dir)).contains("morningcutlineoverlay"))
        #expect(!normalized(try ocr(clips[1].path, at: 1, in: dir)).contains("cutline"))
        #expect(normalized(try ocr(clips[2].path, at: 0.6, in: dir)).contains("eveningcutlineoverlay"))
    }

    @Test(arguments: [(OverlayStyle.Position.top, 0), (.center, 1), (.bottom, 2)])
    func positionPutsTheTextInItsThirdOfTheFrame(position: OverlayStyle.Position, third: Int) async throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("excerpt.mp4")
        try ffmpeg(["-i", try Fixtures.bigBuckBunny, "-t", "1", "-an", "-c", "copy", source])
        let style = OverlayStyle(position: position, fontSize: 0.07)
        let (_, clips) = try await renderClips(source, mode: .fixed(seconds: 1), texts: { _ in "Position marker" }, style: style, in: dir)
        for band in 0..<3 {
            let found = normalized(try ocr(clips[0].path, at: 0.5, band: (band, 3), in: dir)).contains("positionmarker")
            #expect(found == (band == third), "\(position): band \(band) \(found ? "has" : "lacks") the text")
        }
    }

    @Test func longTextWrapsWithNothingCutOff() async throws {
        let dir = try TemporaryDirectory()
        let words =
            "Openingword then a long sentence that keeps going well past the width of the frame so that it has to wrap over several lines before it reaches its closingword"
        let (_, clips) = try await renderClips(try Fixtures.bigBuckBunny, mode: .fixed(seconds: 5), texts: { _ in words }, in: dir)
        let text = normalized(try ocr(clips[0].path, at: 2, in: dir))
        #expect(text.contains("openingword"))
        #expect(text.contains("closingword"))
    }

    @Test func overrideTagsAndExpansionsShowLiterally() async throws {
        let dir = try TemporaryDirectory()
        let text = #"{\b1}Bold{\b0} %{pts} C:\New"#
        let (_, clips) = try await renderClips(
            try Fixtures.bigBuckBunny, mode: .fixed(seconds: 5), texts: { _ in text }, style: OverlayStyle(fontSize: 0.07), in: dir)
        let read = try ocr(clips[0].path, at: 2, in: dir).replacingOccurrences(of: " ", with: "")
        // (OCR reads the final 0 as O now and then; the braces and backslash are what matter.)
        #expect(read.contains(#"{\b1}Bold{\b"#), "read: \(read)")
        #expect(read.contains("%{pts}"), "read: \(read)")
        #expect(read.contains(#"C:\New"#), "read: \(read)")
    }

    /// Texts that break naive renderers (quotes and separators of filter syntax, ASS override tags,
    /// drawtext expansions, 2,000 characters, emoji, right-to-left scripts, control characters) each
    /// render, and each clip shows its overlay: the bottom of every frame differs from the same clip
    /// rendered without text while the top does not, and OCR reads the ASCII ones literally.
    @Test func hostileTextsEachShowTheirOverlay() async throws {
        let dir = try TemporaryDirectory()
        let hostile = [
            #"She said "it's" fine; a:b, c=d [x] 'q'"#,
            #"back\slash \N \h \\ \{ end\"#,
            "%{pts} %{eif:1:d} %{localtime} %%",
            #"{\b1}{\fs200}{\pos(0,0)}{\p1}m 0 0 l 100 100{\p0}"#,
            String(repeating: "long text ", count: 200),
            "emoji 👍🎬🏳️‍🌈 family 👨‍👩‍👧",
            "Привет, мир — Cyrillic",
            "مرحبا بالعالم — Arabic",
            "שלום עולם — Hebrew",
            "line one\nline two\r\nline three\u{2028}four \u{0}\u{7} controls",
        ]
        // Large enough for OCR at the source's 640×272.
        let style = OverlayStyle(fontSize: 0.1)
        let (plan, clips) = try await renderClips(try Fixtures.bikes, mode: .fixed(seconds: 1), texts: { hostile[$0] }, style: style, in: dir)
        #expect(plan.count == hostile.count)
        try #require(clips.count == hostile.count)
        let plainDir = try TemporaryDirectory()
        let (_, plain) = try await renderClips(try Fixtures.bikes, mode: .fixed(seconds: 1), in: plainDir)

        for (index, text) in hostile.enumerated() {
            let bottom = try bandPSNR(clips[index].path, plain[index].path, at: 0.5, band: (2, 3))
            #expect(bottom < 30, "clip \(index) (\(text.prefix(30))): the bottom looks as without text (PSNR \(bottom) dB)")
            // The long and the multi-line texts reach up the frame; the others leave the top alone.
            if index != 4 && index != 9 {
                let top = try bandPSNR(clips[index].path, plain[index].path, at: 0.5, band: (0, 3))
                #expect(top > 35, "clip \(index): the top changed too (PSNR \(top) dB)")
            }
        }
        for (index, expected) in [(0, "shesaid"), (1, "backslash"), (2, "localtime"), (3, "fs200")] {
            // The bottom half: a text that wraps to two lines reaches above the bottom third.
            let read = normalized(try ocr(clips[index].path, at: 0.5, band: (1, 2), in: dir))
            #expect(read.contains(expected), "clip \(index) read: \(read)")
        }
    }
}

/// ffmpeg's PSNR between two videos' frames `seconds` in, over one horizontal band (`band` of
/// `count`, from the top): high where they look alike ("inf" when identical).
func bandPSNR(_ a: String, _ b: String, at seconds: Double, band: (Int, Int)) throws -> Double {
    let (index, count) = band
    let crop = "crop=iw:ih/\(count):0:ih*\(index)/\(count)"
    return try psnr([
        "-ss", String(seconds), "-i", a, "-ss", String(seconds), "-i", b, "-frames:v", "1",
        "-lavfi", "[0:v]\(crop)[x];[1:v]\(crop)[y];[x][y]psnr",
    ])
}

@Suite("Text pre-flight")
struct PreflightTests {
    let style = OverlayStyle()

    @Test func reportsACharacterNoFontHas() {
        let report = TextPreflight.check(texts: ["Hello \u{E000} world \u{10FFFD}"], style: style, width: 1280, height: 720)
        #expect(report[0].missingCharacters == ["\u{E000}", "\u{10FFFD}"])
    }

    @Test func findsFontsForManyScripts() {
        let report = TextPreflight.check(texts: ["Привет שלום مرحبا 👍 你好 こんにちは 안녕 नमस्ते Party time 🎉🔥"], style: style, width: 1280, height: 720)
        #expect(report[0].missingCharacters.isEmpty, "missing: \(report[0].missingCharacters)")
    }

    @Test func chineseWrapsWithoutSpaces() {
        let text = String(repeating: "短视频剪辑工具把长视频切成很多片段", count: 4)
        let report = TextPreflight.check(texts: [text], style: style, width: 1280, height: 720)[0]
        #expect(report.lines.count >= 2, "lines: \(report.lines)")
        #expect(report.lines.joined() == text)
        #expect(report.fits)
    }

    @Test func wrapsLongTextIntoSeveralLinesKeepingEveryWord() {
        let text =
            "Openingword then a long sentence that keeps going well past the width of the frame so that it has to wrap over several lines before it reaches its closingword"
        let report = TextPreflight.check(texts: [text], style: style, width: 1280, height: 720)[0]
        #expect(report.lines.count >= 2)
        #expect(report.lines.joined(separator: " ") == text)
        #expect(report.fits)
    }

    @Test func narrowerFrameNeedsMoreLines() {
        let text = "a sentence of moderate length for the overlay"
        let wide = TextPreflight.check(texts: [text], style: style, width: 1920, height: 720)[0]
        let narrow = TextPreflight.check(texts: [text], style: style, width: 360, height: 720)[0]
        #expect(narrow.lines.count > wide.lines.count)
    }

    @Test func breaksAWordLongerThanTheLine() {
        let word = String(repeating: "W", count: 200)
        let report = TextPreflight.check(texts: [word], style: style, width: 640, height: 360)[0]
        #expect(report.lines.count > 1)
        #expect(report.lines.joined() == word)
    }

    @Test func keepsExplicitLineBreaks() {
        let report = TextPreflight.check(texts: ["first\nsecond"], style: style, width: 1280, height: 720)[0]
        #expect(report.lines == ["first", "second"])
    }

    @Test func tooMuchTextDoesNotFit() {
        let report = TextPreflight.check(texts: [String(repeating: "too much text ", count: 150)], style: style, width: 1280, height: 720)[0]
        #expect(!report.fits)
    }

    @Test func emptyTextHasNoLinesAndFits() {
        let report = TextPreflight.check(texts: [""], style: style, width: 1280, height: 720)[0]
        #expect(report.lines.isEmpty && report.fits && report.missingCharacters.isEmpty)
    }
}
