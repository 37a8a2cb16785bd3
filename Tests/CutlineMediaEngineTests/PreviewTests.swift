import CutlineCore
import CutlineMediaEngine
import Foundation
import Testing

@Suite("Preview and thumbnails")
struct PreviewTests {
    init() {
        FFmpegLog.setLevel(.error)
    }

    /// The engine's preview is the clip's frame: the JPEG of the source at a moment, with that clip's
    /// text, style and shape, matches the rendered clip's frame at the same moment.
    @Test(arguments: [nil, Platform.reels])
    func previewMatchesTheRenderedFrame(platform: Platform?) async throws {
        let dir = try TemporaryDirectory()
        let texts = ["First clip 🔥", "Second clip: the preview shows this 你好"]
        let (plan, clips) = try await renderClips(try Fixtures.bigBuckBunny, mode: .fixed(seconds: 2.5), texts: { texts[$0 % 2] }, in: dir) {
            if let platform { $0.target(platform) }
        }
        try #require(clips.count == 2)
        var request = PreviewRequest(source: try Fixtures.bigBuckBunny, seconds: plan.segments[1].start + 0.6, text: texts[1])
        if let platform { request.target(platform) }
        let first = request
        let jpeg = try await onOwnThread { try Preview.jpeg(first) }
        let path = dir.file("preview.jpg")
        try jpeg.write(to: URL(fileURLWithPath: path))
        let size = try FFProbe(path).video
        #expect(size?.width == (platform == nil ? 1280 : 1080) && size?.height == (platform == nil ? 720 : 1920))
        let same = try psnr([
            "-i", path, "-ss", "0.6", "-i", clips[1].path, "-frames:v", "1", "-lavfi", "[0:v]format=yuv420p[a];[1:v]format=yuv420p[b];[a][b]psnr",
        ])
        #expect(same > 30, "preview vs clip 2 at 0.6 s: \(same) dB")
        // A different text is a different picture: the comparison can tell.
        request.text = texts[0]
        let second = request
        try (try await onOwnThread { try Preview.jpeg(second) }).write(to: URL(fileURLWithPath: path))
        let other = try psnr([
            "-i", path, "-ss", "0.6", "-i", clips[1].path, "-frames:v", "1", "-lavfi", "[0:v]format=yuv420p[a];[1:v]format=yuv420p[b];[a][b]psnr",
        ])
        #expect(other < same - 3, "another text gives \(other) dB against \(same) dB")
    }

    @Test func previewPastTheEndIsAnInvalidRequest() throws {
        #expect {
            try Preview.jpeg(PreviewRequest(source: try Fixtures.bikes, seconds: 60, text: "x"))
        } throws: { error in
            (error as? MediaError)?.code == .invalidRequest && "\(error)".contains("past the end")
        }
    }

    /// Each clip has a JPEG beside it: a frame half a second in, overlay included, at most 480 wide.
    @Test func everyClipHasAThumbnailWithItsText() async throws {
        let dir = try TemporaryDirectory()
        let (_, clips) = try await renderClips(try Fixtures.bigBuckBunny, mode: .fixed(seconds: 2), texts: { "Thumbnail \($0 + 1)" }, in: dir)
        let plainDir = try TemporaryDirectory()
        let (_, plain) = try await renderClips(try Fixtures.bigBuckBunny, mode: .fixed(seconds: 2), in: plainDir) { $0.thumbnails = false }
        for (clip, bare) in zip(clips, plain) {
            let thumbnail = try #require(clip.thumbnailPath, "clip \(clip.index) has no thumbnail")
            #expect(thumbnail == String(clip.path.dropLast(4)) + ".jpg")
            let probe = try FFProbe(thumbnail)
            #expect(probe.video?.codec == "mjpeg" && probe.video?.width == 480 && probe.video?.height == 270)
            // The bottom third (where the text is) matches the clip's frame half a second in, and clearly
            // less the same frame without text.
            func bottom(_ video: String) throws -> Double {
                try psnr([
                    "-i", thumbnail, "-ss", "0.5", "-i", video, "-frames:v", "1", "-lavfi",
                    "[1:v]scale=480:270,format=yuv420p,crop=iw:ih/3:0:ih*2/3[b];[0:v]format=yuv420p,crop=iw:ih/3:0:ih*2/3[a];[a][b]psnr",
                ])
            }
            let withText = try bottom(clip.path)
            let withoutText = try bottom(bare.path)
            #expect(
                withText > 28 && withText > withoutText + 3,
                "clip \(clip.index): \(withText) dB against the clip, \(withoutText) dB against it without text")
        }
        #expect(plain.allSatisfy { $0.thumbnailPath == nil })
        #expect(try FileManager.default.contentsOfDirectory(atPath: plainDir.path).allSatisfy { !$0.hasSuffix(".jpg") })
    }

    /// Box padding, corner radius and line spacing change the drawn box as the style says, measured on a
    /// flat grey frame: the box is the region darker than the grey.
    @Test func boxPaddingRadiusAndLineSpacingShapeTheBox() async throws {
        let dir = try TemporaryDirectory()
        let grey = dir.file("grey.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "color=c=0x808080:s=1280x720:d=1:r=25", "-pix_fmt", "yuv420p", "-c:v", "libx264", grey])
        func box(_ style: OverlayStyle, _ text: String = "Box shape") async throws -> (x: Range<Int>, y: Range<Int>, cornerIsBox: Bool) {
            let request = PreviewRequest(source: grey, seconds: 0.5, text: text, style: style)
            let path = dir.file("box-\(UUID().uuidString).jpg")
            try (try await onOwnThread { try Preview.jpeg(request) }).write(to: URL(fileURLWithPath: path))
            let luma = [UInt8](
                try runToolData("ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "gray", "-"]))
            try #require(luma.count == 1280 * 720)
            // The 60 % black box over grey is about 50; the grey 126; JPEG noise stays well inside 30.
            let dark = luma.indices.filter { luma[$0] < 90 }
            try #require(!dark.isEmpty, "no box drawn")
            let xs = dark.map { $0 % 1280 }
            let ys = dark.map { $0 / 1280 }
            let x = xs.min()!..<(xs.max()! + 1)
            let y = ys.min()!..<(ys.max()! + 1)
            return (x, y, luma[(y.lowerBound + 2) * 1280 + x.lowerBound + 2] < 90)
        }
        let font = OverlayStyle().fontPixels(width: 1280, height: 720)
        let plain = try await box(OverlayStyle())
        let padded = try await box(OverlayStyle(boxPadding: 1))
        // 0.7 of the font size more on each side.
        let grown = Double(padded.x.count - plain.x.count) / 2
        #expect(abs(grown - 0.7 * font) < 0.15 * font, "padding 1 grew the box by \(grown) px a side; \(0.7 * font) expected")
        #expect(padded.y.count > plain.y.count + Int(font))

        #expect(try await box(OverlayStyle(boxRadius: 0)).cornerIsBox, "square corners reach the bounding box's corner")
        #expect(try await !box(OverlayStyle(boxRadius: 1)).cornerIsBox, "a round corner leaves the bounding box's corner grey")

        let single = try await box(OverlayStyle(), "Line one\nLine two")
        let double = try await box(OverlayStyle(lineSpacing: 2), "Line one\nLine two")
        // Twice the line height puts the second line about one more line height down.
        let added = Double(double.y.count - single.y.count)
        #expect(added > 0.8 * font && added < 1.6 * font, "line spacing 2 added \(added) px; about \(font * 1.17) expected")
    }
}
