import CutlineTestSupport
import Foundation
import Testing

/// `cutline render` and `cutline preview` as a person runs them: the look options reach the pixels, and a
/// wrong option is refused with the reason before anything is written.
@Suite(.serialized)
struct RenderCommandTests {
    func cutline(_ arguments: [String]) throws -> (code: Int32, stdout: String, stderr: String) {
        try ChildProcess.run([TestEnvironment.executable("cutline")] + arguments, timeout: 120)
    }

    func tool(_ arguments: [String]) throws -> String {
        let run = try ChildProcess.run(arguments)
        guard run.code == 0 else { throw TestSupportError("\(arguments.joined(separator: " ")): \(run.stderr)") }
        return run.stdout
    }

    /// A flat grey 1280×720 clip with sound: the overlay's box is the only thing darker than the grey.
    func greyVideo(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("grey.mp4").path
        _ = try tool([
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=0x808080:s=1280x720:d=4:r=25",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=4", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-c:a", "aac", "-shortest", path,
        ])
        return path
    }

    /// The rows of a JPEG that hold box pixels (luma under 90 on the grey).
    func boxRows(_ jpeg: String, width: Int, height: Int) throws -> Int {
        let gray = jpeg + ".gray"
        _ = try tool(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", jpeg, "-f", "rawvideo", "-pix_fmt", "gray", gray])
        let raw = try Data(contentsOf: URL(fileURLWithPath: gray))
        try #require(raw.count == width * height, "\(jpeg): \(raw.count) bytes")
        let bytes = [UInt8](raw)
        return (0..<height).filter { row in (0..<width).contains { bytes[row * width + $0] < 90 } }.count
    }

    @Test func previewOptionsChangeTheBox() throws {
        let dir = try TestEnvironment.temporaryDirectory("render-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let video = try greyVideo(in: dir)
        let plain = dir.appendingPathComponent("plain.jpg").path
        let styled = dir.appendingPathComponent("styled.jpg").path
        let text = ["--at", "1", "--text", "First line\nSecond line"]
        #expect(try cutline(["preview", video] + text + ["--out", plain]).code == 0)
        let run = try cutline(["preview", video] + text + ["--box-padding", "1", "--line-spacing", "2", "--out", styled])
        #expect(run.code == 0, "\(run.stderr)")
        let before = try boxRows(plain, width: 1280, height: 720)
        let after = try boxRows(styled, width: 1280, height: 720)
        // 43 px text: 0.7 × 43 more padding above and below, and one more line height between the lines.
        #expect(after > before + 80, "box rows: \(before) by default, \(after) with padding 1 and line spacing 2")
    }

    @Test func aReelsRenderMakesVerticalClipsWithThumbnails() throws {
        let dir = try TestEnvironment.temporaryDirectory("render-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let video = try greyVideo(in: dir)
        let out = dir.appendingPathComponent("clips").path
        let run = try cutline(["render", video, "--out", out, "--every", "2", "--text", "Made for Reels", "--platform", "reels", "--box-radius", "0"])
        #expect(run.code == 0, "\(run.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(files == ["clip-001.jpg", "clip-001.mp4", "clip-002.jpg", "clip-002.mp4"], "\(files)")
        let size = try tool([
            "ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,profile", "-of", "csv=p=0",
            "\(out)/clip-002.mp4",
        ])
        #expect(size.trimmingCharacters(in: .whitespacesAndNewlines) == "High,1080,1920", "\(size)")
        // A platform's clips play at its loudness: the quiet sine (about -21 LUFS) is brought to -14.
        #expect(abs(try integratedLoudness("\(out)/clip-002.mp4", in: dir) - -14) <= 1)
    }

    /// The integrated loudness of a file's sound (LUFS), by the ffmpeg CLI's ebur128.
    func integratedLoudness(_ path: String, in dir: URL) throws -> Double {
        let log = dir.appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent + ".r128").path
        _ = try tool(["ffmpeg", "-v", "error", "-i", path, "-vn", "-af", "ebur128=metadata=1,ametadata=mode=print:file=\(log)", "-f", "null", "-"])
        let last = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").last { $0.hasPrefix("lavfi.r128.I=") }
        return try #require(last.flatMap { Double($0.dropFirst("lavfi.r128.I=".count)) })
    }

    @Test func loudnessSetsTheClipsLevelAndOffKeepsTheSources() throws {
        let dir = try TestEnvironment.temporaryDirectory("render-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let video = try greyVideo(in: dir)
        let source = try integratedLoudness(video, in: dir)
        for (setting, expected) in [("-16,-1.5", -16.0), ("off", source)] {
            let out = dir.appendingPathComponent("clips\(setting)").path
            let run = try cutline(["render", video, "--out", out, "--every", "2", "--loudness", setting])
            #expect(run.code == 0, "\(run.stderr)")
            #expect(abs(try integratedLoudness("\(out)/clip-001.mp4", in: dir) - expected) <= 1, "--loudness \(setting)")
        }
    }

    @Test(arguments: [
        (["--box-padding", "5"], "--box-padding is 0 to 2"),
        (["--box-radius", "3"], "--box-radius is 0 to 1"),
        (["--line-spacing", "0.2"], "--line-spacing is 0.8 to 3"),
        (["--font", "No Such Family"], "no installed font family \"No Such Family\""),
        (["--loudness", "loud"], "loudness \"loud\" is not platform, off or LUFS[,TRUE_PEAK]"),
        (["--loudness", "-3"], "with LUFS from -40 to -5"),
    ])
    func aWrongLookIsRefusedWithItsReason(options: [String], reason: String) throws {
        let dir = try TestEnvironment.temporaryDirectory("render-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("clips").path
        let run = try cutline(["render", try greyVideo(in: dir), "--out", out, "--every", "2", "--text", "x"] + options)
        #expect(run.code != 0 && run.stderr.contains(reason), "exit \(run.code): \(run.stderr)")
        let written = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
        #expect(written.isEmpty, "nothing written: \(written)")
    }
}
