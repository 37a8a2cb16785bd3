import CutlineCore
import CutlineMediaEngine
import Foundation
import Testing

/// What short-form clips really carry: colour emoji, CJK, Indic and right-to-left scripts, read back
/// from the rendered pixels.
@Suite("Emoji and scripts")
struct ScriptsAndEmojiTests {
    init() {
        FFmpegLog.setLevel(.error)
    }

    /// Emoji are drawn in colour at the text's size, not as boxes: where the clip with emoji differs
    /// from the same clip with the plain text, the pixels are saturated, and their colour is the one an
    /// independent renderer (Pillow, `embedded_color=True`) gives the same glyph.
    @Test func emojiAreDrawnInColour() async throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("excerpt.mp4")
        try ffmpeg(["-i", try Fixtures.bikes, "-t", "2", "-c", "copy", source])
        let style = OverlayStyle(fontSize: 0.15, boxColor: nil, outline: 0)
        let emojiDir = try TemporaryDirectory()
        let plainDir = try TemporaryDirectory()
        let (_, withEmoji) = try await renderClips(source, mode: .fixed(seconds: 2), texts: { _ in "Fire 🔥🔥🔥" }, style: style, in: emojiDir)
        let (_, plain) = try await renderClips(source, mode: .fixed(seconds: 2), texts: { _ in "Fire" }, style: style, in: plainDir)
        let a = try RGBImage(withEmoji[0].path, at: 1)
        let b = try RGBImage(plain[0].path, at: 1)

        var changed = 0
        var saturated = 0
        var sum = (r: 0.0, g: 0.0, b: 0.0)
        for y in 0..<a.height {
            for x in 0..<a.width {
                let p = a.rgb(x, y)
                let q = b.rgb(x, y)
                guard abs(p.r - q.r) + abs(p.g - q.g) + abs(p.b - q.b) > 90 else { continue }
                changed += 1
                if a.saturation(x, y) > 0.5, max(p.r, p.g, p.b) > 100 {
                    saturated += 1
                    sum = (sum.r + p.r, sum.g + p.g, sum.b + p.b)
                }
            }
        }
        // Three emoji of 41 px: well over a thousand pixels change.
        #expect(changed > 1500, "only \(changed) pixels differ: the emoji were not drawn")
        #expect(
            Double(saturated) > 0.5 * Double(changed),
            "\(saturated) of \(changed) changed pixels are saturated: boxes or monochrome glyphs, not colour")
        let ours = hue(sum.r / Double(saturated), sum.g / Double(saturated), sum.b / Double(saturated))
        let pillow = try pillowMeanColour("🔥")
        let theirs = hue(pillow.r, pillow.g, pillow.b)
        #expect(abs(ours - theirs) < 20, "mean hue \(ours)° here, \(theirs)° in Pillow's rendering of 🔥")
    }

    /// The pre-flight names what the renderer cannot draw, and nothing it can.
    @Test func preflightAgreesWithWhatIsDrawn() {
        let reports = TextPreflight.check(texts: ["Party time 🎉🔥", "tofu \u{E000}", "你好，世界"], style: OverlayStyle(), width: 640, height: 272)
        #expect(reports[0].missingCharacters.isEmpty)
        #expect(reports[1].missingCharacters == ["\u{E000}"])
        #expect(reports[2].missingCharacters.isEmpty && reports[2].fits)
    }

    /// Each script renders and reads back with tesseract's pack for it.
    @Test func scriptsReadBackWithOCR() async throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("looped.mp4")
        // 8 s of real footage at 720p: one clip per script.
        try ffmpeg(["-stream_loop", "1", "-i", try Fixtures.bigBuckBunny, "-t", "8", "-an", "-c:v", "libx264", "-preset", "ultrafast", source])
        let samples: [(language: String, text: String)] = [
            ("chi_sim", "今天我们去公园散步"), ("jpn", "こんにちは世界"), ("kor", "안녕하세요 세계"), ("hin", "नमस्ते दुनिया"),
            ("ara", "مرحبا بالعالم"), ("heb", "שלום עולם"), ("rus", "Привет мир"), ("eng", "Hello world"),
        ]
        let style = OverlayStyle(fontSize: 0.13, boxColor: OverlayStyle.Color(red: 0, green: 0, blue: 0, opacity: 0.85))
        let (plan, clips) = try await renderClips(
            source, mode: .fixed(seconds: 1), texts: { samples[$0 % samples.count].text }, style: style, in: dir)
        try #require(plan.count == samples.count && clips.count == samples.count)
        for (clip, sample) in zip(clips, samples) {
            let read = try ocr(clip.path, at: 0.5, band: (1, 2), language: sample.language, in: dir)
            let similarity = similarity(read, sample.text)
            #expect(
                similarity >= 0.7,
                "\(sample.language): read \"\(read.trimmingCharacters(in: .whitespacesAndNewlines))\" for \"\(sample.text)\" (\(Int(similarity * 100)) %)"
            )
        }
    }

    /// A long Chinese text (no spaces) wraps inside the frame: the side margins stay untouched.
    @Test func longChineseTextWrapsInsideTheFrame() async throws {
        let dir = try TemporaryDirectory()
        let plainDir = try TemporaryDirectory()
        let text = String(repeating: "短视频剪辑工具把长视频切成很多片段", count: 3)
        let report = TextPreflight.check(texts: [text], style: OverlayStyle(), width: 640, height: 272)[0]
        #expect(report.lines.count >= 3, "lines: \(report.lines)")
        let (_, clips) = try await renderClips(try Fixtures.bikes, mode: .fixed(seconds: 5), texts: { _ in text }, in: dir)
        let (_, plain) = try await renderClips(try Fixtures.bikes, mode: .fixed(seconds: 5), in: plainDir)
        let a = try RGBImage(clips[0].path, at: 2)
        let b = try RGBImage(plain[0].path, at: 2)
        let margin = a.width * 4 / 100
        var edgeChanges = 0
        var middleChanges = 0
        for y in 0..<a.height {
            for x in 0..<a.width {
                let p = a.rgb(x, y)
                let q = b.rgb(x, y)
                guard abs(p.r - q.r) + abs(p.g - q.g) + abs(p.b - q.b) > 60 else { continue }
                if x < margin || x >= a.width - margin { edgeChanges += 1 } else { middleChanges += 1 }
            }
        }
        #expect(middleChanges > 5000, "the text is missing (\(middleChanges) pixels changed)")
        #expect(edgeChanges < 20, "\(edgeChanges) pixels changed within 4 % of the sides: the text runs off the frame")
    }

    /// The default size is legible at a small source's own resolution (640×272).
    @Test func defaultTextIsReadableOnASmallSourceAtNativeSize() async throws {
        let dir = try TemporaryDirectory()
        let (_, clips) = try await renderClips(try Fixtures.bikes, mode: .fixed(seconds: 5), texts: { _ in "Readable by default" }, in: dir)
        let read = normalized(try ocr(clips[0].path, at: 2, band: (1, 2), enlarge: false, in: dir))
        #expect(read.contains("readablebydefault"), "read: \(read)")
    }
}

/// Hue in degrees, 0…360.
private func hue(_ r: Double, _ g: Double, _ b: Double) -> Double {
    let high = max(r, g, b)
    let low = min(r, g, b)
    let range = high - low
    guard range > 0 else { return 0 }
    let h: Double
    if high == r { h = (g - b) / range } else if high == g { h = 2 + (b - r) / range } else { h = 4 + (r - g) / range }
    return (h * 60 + 360).truncatingRemainder(dividingBy: 360)
}

/// The mean colour of the saturated, opaque pixels of `emoji` drawn by Pillow from Noto Color Emoji.
private func pillowMeanColour(_ emoji: String) throws -> (r: Double, g: Double, b: Double) {
    let script = """
        import sys
        from PIL import Image, ImageDraw, ImageFont
        font = ImageFont.truetype("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf", 109)
        image = Image.new("RGBA", (200, 160), (0, 0, 0, 0))
        ImageDraw.Draw(image).text((10, 10), sys.argv[1], font=font, embedded_color=True)
        px = [p for p in image.convert("RGBA").getdata() if p[3] > 200 and max(p[:3]) > 100 and (max(p[:3]) - min(p[:3])) / max(p[:3]) > 0.5]
        print(*(sum(p[i] for p in px) / len(px) for i in range(3)))
        """
    let fields = try runTool("python3", ["-W", "ignore", "-c", script, emoji]).split(separator: " ").compactMap {
        Double($0.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    try #require(fields.count == 3, "Pillow gave no colour (is it installed? run scripts/bootstrap)")
    return (fields[0], fields[1], fields[2])
}

/// 1 − edit distance / length, over letters and marks (OCR's spacing and stray dots are not the text).
private func similarity(_ read: String, _ expected: String) -> Double {
    func letters(_ text: String) -> [Unicode.Scalar] {
        text.unicodeScalars.filter {
            $0.properties.isAlphabetic || $0.properties.generalCategory == .nonspacingMark || $0.properties.generalCategory == .spacingMark
        }
    }
    let a = letters(read)
    let b = letters(expected)
    guard !b.isEmpty else { return 0 }
    var row = Array(0...b.count)
    for i in 1...max(1, a.count) where !a.isEmpty {
        var previous = row[0]
        row[0] = i
        for j in 1...b.count {
            let current = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
            previous = current
        }
    }
    return max(0, 1 - Double(a.isEmpty ? b.count : row[b.count]) / Double(b.count))
}
