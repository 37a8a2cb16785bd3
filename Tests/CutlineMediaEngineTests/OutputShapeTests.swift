import CutlineCore
import CutlineMediaEngine
import Foundation
import Testing

/// Vertical clips for the short-form platforms: the frame's shape, how the source fills it, and where
/// the text goes.
@Suite("Output shape")
struct OutputShapeTests {
    init() {
        FFmpegLog.setLevel(.error)
    }

    @Test func sizesFollowTheAspectAndHeight() {
        #expect(OutputShape(aspect: .vertical, height: 1920).size(sourceWidth: 1280, sourceHeight: 720) == (1080, 1920))
        #expect(OutputShape(aspect: .vertical).size(sourceWidth: 1280, sourceHeight: 720) == (720, 1280))
        #expect(OutputShape(aspect: .square).size(sourceWidth: 640, sourceHeight: 272) == (272, 272))
        #expect(OutputShape(aspect: .portrait).size(sourceWidth: 1920, sourceHeight: 1080) == (1080, 1350))
        #expect(OutputShape().size(sourceWidth: 1280, sourceHeight: 720) == (1280, 720))
        #expect(OutputShape(height: 360).size(sourceWidth: 1280, sourceHeight: 720) == (640, 360))
        // Capped at 1920 on the longer side.
        #expect(OutputShape(aspect: .vertical).size(sourceWidth: 3840, sourceHeight: 2160) == (1080, 1920))
    }

    /// 9:16 from a 16:9 source, cropped and blurred, and from a phone video stored sideways: every clip
    /// is 1080×1920, starts with a keyframe and keeps its sound in step.
    @Test(arguments: [OutputShape.Fit.crop, .blur])
    func verticalClipsFromALandscapeSource(fit: OutputShape.Fit) async throws {
        let dir = try TemporaryDirectory()
        let (plan, clips) = try await renderClips(try Fixtures.bigBuckBunny, mode: .fixed(seconds: 2), texts: { _ in "Vertical" }, in: dir) {
            $0.shape = OutputShape(aspect: .vertical, fit: fit, height: 1920)
        }
        try checkClips(plan, clips, expectAudio: true, width: 1080, height: 1920)
        let frame = try RGBImage(clips[0].path, at: 1)
        // The 16:9 picture fitted into 9:16 leaves 656 rows above it; blur fills them with the picture's
        // colours, crop with the picture itself. Either way they are not black.
        let band = meanLuma(frame, rows: 0..<600)
        #expect(band > 40, "the top of a \(fit) clip is dark (mean \(band)): no background")
        if fit == .blur {
            // Blurred: pixels 8 apart barely differ there (a mere 4× upscale would keep that detail),
            // unlike in the sharp picture in the middle.
            let background = roughness(frame, rows: 100..<500, step: 8)
            let picture = roughness(frame, rows: 700..<1200, step: 8)
            #expect(background * 3 < picture, "background roughness \(background), picture \(picture): not blurred")
        }
    }

    @Test(arguments: [OutputShape.Fit.crop, .blur])
    func rotatedPhoneVideoIsUprightBeforeItIsShaped(fit: OutputShape.Fit) async throws {
        let dir = try TemporaryDirectory()
        let rotated = dir.file("phone.mp4")
        // bikes is 640×272; stored with a 90° display matrix it is a 272×640 portrait video.
        try ffmpeg(["-i", try Fixtures.bikes, "-t", "2", "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated])
        let (plan, clips) = try await renderClips(rotated, mode: .fixed(seconds: 1), in: dir) {
            $0.shape = OutputShape(aspect: .vertical, fit: fit, height: 1920)
        }
        try checkClips(plan, clips, expectAudio: false, width: 1080, height: 1920)
        // The clip must match the ffmpeg CLI's own upright (autorotated) frame given the same shape;
        // turned the wrong way it would not. Blur: the 272×640 picture fitted to 1920 rows is 816 wide,
        // centred. Crop: scaled to 1080 wide (2542 rows), the middle 1920 rows kept.
        let reference = dir.file("upright.mp4")
        let (scale, crop) = fit == .blur ? ("scale=816:1920", "crop=816:1920:132:0") : ("scale=1080:2542,crop=1080:1920:0:310", "null")
        try ffmpeg(["-i", rotated, "-frames:v", "1", "-vf", scale, "-c:v", "libx264", "-crf", "10", reference])
        let middle = try psnr(["-i", clips[0].path, "-i", reference, "-frames:v", "1", "-lavfi", "[0:v]\(crop)[a];[a][1:v]psnr"])
        #expect(middle > 25, "\(fit): the clip is not the upright picture (PSNR \(middle) dB)")
    }

    @Test func padFillsWithTheColour() async throws {
        let dir = try TemporaryDirectory()
        let (_, clips) = try await renderClips(try Fixtures.bikes, mode: .fixed(seconds: 5), in: dir) {
            $0.shape = OutputShape(aspect: .square, fit: .pad, padColor: OverlayStyle.Color(red: 0, green: 0, blue: 255))
        }
        let frame = try RGBImage(clips[0].path, at: 1)
        #expect(frame.width == 272 && frame.height == 272)
        let corner = frame.rgb(4, 4)
        #expect(corner.b > 200 && corner.r < 60 && corner.g < 60, "corner \(corner): not the pad colour")
    }

    /// With a platform, the text stays inside the region its interface leaves clear: the pixels the text
    /// changes all lie inside the safe area, for each position.
    @Test(arguments: [OverlayStyle.Position.top, .bottom])
    func platformTextStaysInsideTheSafeArea(position: OverlayStyle.Position) async throws {
        let dir = try TemporaryDirectory()
        let plainDir = try TemporaryDirectory()
        let source = dir.file("excerpt.mp4")
        try ffmpeg(["-i", try Fixtures.bigBuckBunny, "-t", "2", "-c", "copy", source])
        let text = "A caption long enough to wrap onto a second line on a vertical clip"
        let style = OverlayStyle(position: position)
        // The platforms share one frame (1080×1920, blur), so one render without text serves them all.
        let (_, plain) = try await renderClips(source, mode: .fixed(seconds: 2), style: style, in: plainDir) { $0.target(.tiktok) }
        for platform in Platform.allCases {
            let out = try TemporaryDirectory()
            let (plan, clips) = try await renderClips(source, mode: .fixed(seconds: 2), texts: { _ in text }, style: style, in: out) {
                $0.target(platform)
            }
            try checkClips(plan, clips, expectAudio: true, width: 1080, height: 1920)
            let probe = try runTool("ffprobe", ["-v", "error", "-show_entries", "stream=profile,sample_rate", "-of", "csv=p=0", clips[0].path])
            #expect(probe.contains("High") && probe.contains("48000"), "\(platform): \(probe)")
            let box = try #require(changedBox(try RGBImage(clips[0].path, at: 1), try RGBImage(plain[0].path, at: 1)), "\(platform): no text drawn")
            let safe = platform.safeArea
            #expect(
                Double(box.top) >= safe.top * 1920 - 1 && Double(box.bottom) <= 1920 - safe.bottom * 1920 + 1,
                "\(platform) \(position): text rows \(box.top)…\(box.bottom)")
            #expect(
                Double(box.left) >= safe.left * 1080 - 1 && Double(box.right) <= 1080 - safe.right * 1080 + 1,
                "\(platform) \(position): text columns \(box.left)…\(box.right), rows \(box.top)…\(box.bottom)")
            // And it sits at the edge of the safe area it was put against, not anywhere inside.
            if position == .bottom {
                #expect(Double(box.bottom) > 1920 - safe.bottom * 1920 - 40, "\(platform): text ends at row \(box.bottom)")
            } else {
                #expect(Double(box.top) < safe.top * 1920 + 40, "\(platform): text starts at row \(box.top)")
            }
        }
    }
}

private func meanLuma(_ image: RGBImage, rows: Range<Int>) -> Double {
    var sum = 0.0
    for y in rows {
        for x in 0..<image.width {
            let p = image.rgb(x, y)
            sum += 0.2126 * p.r + 0.7152 * p.g + 0.0722 * p.b
        }
    }
    return sum / Double(rows.count * image.width)
}

/// Mean absolute difference between pixels `step` apart in a row: low where the picture is smooth.
private func roughness(_ image: RGBImage, rows: Range<Int>, step: Int) -> Double {
    var sum = 0.0
    var count = 0
    for y in rows {
        for x in 0..<(image.width - step) {
            let a = image.rgb(x, y)
            let b = image.rgb(x + step, y)
            sum += abs(a.g - b.g)
            count += 1
        }
    }
    return sum / Double(max(1, count))
}

/// The bounding box of the pixels that differ strongly between two frames (the text and its box; the
/// encoder's small differences elsewhere stay under the threshold).
private func changedBox(_ a: RGBImage, _ b: RGBImage) -> (left: Int, top: Int, right: Int, bottom: Int)? {
    var left = Int.max
    var top = Int.max
    var right = -1
    var bottom = -1
    for y in 0..<a.height {
        for x in 0..<a.width {
            let p = a.rgb(x, y)
            let q = b.rgb(x, y)
            guard abs(p.r - q.r) + abs(p.g - q.g) + abs(p.b - q.b) > 150 else { continue }
            left = min(left, x)
            right = max(right, x + 1)
            top = min(top, y)
            bottom = max(bottom, y + 1)
        }
    }
    return right < 0 ? nil : (left, top, right, bottom)
}
