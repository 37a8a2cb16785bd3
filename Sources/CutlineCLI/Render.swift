import ArgumentParser
import CutlineCore
import CutlineMediaEngine
import Foundation

/// `cutline render FILE --out DIR …`: cuts a video into clips with text overlays, on this machine.
struct Render: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cut a video into clips with a burned-in text overlay.",
        discussion: """
            Cut with --every SECONDS or --random MIN-MAX [--seed N]. Texts: --text for every clip, or \
            --texts-file (one line per clip; a .json file holds an array of strings). An empty text means \
            no overlay on that clip.
            """
    )

    @Argument(help: "The source video.")
    var file: String

    @Option(help: "Directory for the clips (created if missing).")
    var out: String

    @Option(help: "Cut into clips of this many seconds.")
    var every: Double?

    @Option(help: "Cut into clips of random length between MIN and MAX seconds, e.g. 5-12.")
    var random: String?

    @Option(help: "Seed for --random (the same seed gives the same cuts).")
    var seed: UInt64 = 1

    @Option(help: "The overlay text for every clip.")
    var text: String?

    @Option(help: "A file with one text per clip: one per line, or a JSON array of strings (.json).")
    var textsFile: String?

    @OptionGroup(title: "Text style and output shape")
    var look: LookOptions

    // Unconditional: the value starts with a minus ("-16,-1.5"), which would otherwise read as a flag.
    @Option(
        parsing: .unconditional,
        help: """
            Bring each clip's sound to a loudness (EBU R128, measured first): platform (-14 LUFS, true peak at most -1 dBTP; \
            the default with --platform), off, or LUFS[,TRUE_PEAK] such as -16,-1.5.
            """)
    var loudness: String?

    @Option(help: "x264 constant rate factor (lower is better quality).")
    var crf: Int = 23

    @Option(help: "x264 preset.")
    var preset: String = "veryfast"

    @Flag(help: "Write each clip's trailer (and its faststart rewrite) on a second thread while the next encodes.")
    var concurrentFinish = false

    @Flag(inversion: .prefixedNo, help: "Write a JPEG thumbnail beside each clip (clip-001.jpg), overlay included.")
    var thumbnails = true

    @Flag(help: "Only check the texts (wrapped lines, fit, characters no font can draw); render nothing.")
    var check = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        FFmpegLog.setLevel(.error)
        let mode = try cuttingMode()
        let style = try look.overlayStyle()
        let info: MediaInfo
        let plan: SegmentPlan
        do {
            info = try MediaProbe.probe(file)
            plan = try SegmentPlan.plan(duration: info.duration, frameRate: info.video.frameRate, mode: mode)
            if let platform = look.platform { try plan.checkLongestClip(for: platform) }
        } catch {
            fail("\(error)")
        }
        let texts = try clipTexts(count: plan.count)
        let shape = try look.outputShape()
        let size = shape.size(sourceWidth: info.video.displayWidth & ~1, sourceHeight: info.video.displayHeight & ~1)

        if check {
            let report = TextPreflight.check(texts: texts, style: style, width: size.width, height: size.height, safeArea: look.platform?.safeArea)
            printPreflight(report, plan: plan, size: size)
            return
        }

        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            fail("cannot create \(out): \(error)")
        }
        var request = RenderRequest(
            source: file, plan: plan, texts: texts, style: style,
            encoding: EncodingSettings(preset: preset, crf: crf, finishClipsConcurrently: concurrentFinish), outputDirectory: out
        )
        if let platform = look.platform { request.target(platform) }
        if let loudness {
            do { request.loudness = try LoudnessTarget.parse(loudness) } catch { fail("--loudness: \(error.description)") }
        }
        request.shape = shape
        request.thumbnails = thumbnails
        let bar = ProgressBar(enabled: !json && isatty(STDERR_FILENO) == 1)
        let started = Date()
        let clips: [RenderedClip]
        do {
            // The async render runs FFmpeg on a thread of its own, off Swift's cooperative pool.
            clips = try await Renderer.render(request, progress: { bar.update($0) })
        } catch {
            bar.finish()
            fail("\(error)")
        }
        bar.finish()
        let seconds = Date().timeIntervalSince(started)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(clips), as: UTF8.self))
            return
        }
        print("\(clips.count) clips from \(file) in \(String(format: "%.1f", seconds)) s:")
        for (clip, text) in zip(clips, texts) {
            let shown = text.count > 40 ? String(text.prefix(39)) + "…" : text
            print(
                String(format: "  %3d  %8.3f s  +%7.3f s  %6.1f KiB  ", clip.index + 1, clip.start, clip.duration, Double(clip.bytes) / 1024)
                    + clip.path + (shown.isEmpty ? "" : "  \"\(shown.replacingOccurrences(of: "\n", with: " "))\""))
        }
    }

    private func cuttingMode() throws -> CuttingMode {
        switch (every, random) {
        case (let seconds?, nil):
            return .fixed(seconds: seconds)
        case (nil, let range?):
            let parts = range.split(separator: "-", maxSplits: 1).map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, let low = parts[0], let high = parts[1] else {
                throw ValidationError("--random wants MIN-MAX in seconds, e.g. 5-12, not \(range)")
            }
            return .random(min: low, max: high, seed: seed)
        default:
            throw ValidationError("give exactly one of --every SECONDS and --random MIN-MAX")
        }
    }

    private func clipTexts(count: Int) throws -> [String] {
        switch (text, textsFile) {
        case (let text?, nil):
            return Array(repeating: text, count: count)
        case (nil, let path?):
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw ValidationError("cannot read --texts-file \(path): \(error.localizedDescription)")
            }
            var texts: [String]
            if path.hasSuffix(".json") {
                guard let array = try? JSONDecoder().decode([String].self, from: data) else {
                    throw ValidationError("--texts-file \(path) is not a JSON array of strings")
                }
                texts = array
            } else {
                texts = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                if texts.last == "" { texts.removeLast() }
            }
            if texts.count < count {
                FileHandle.standardError.write(Data("cutline render: \(texts.count) texts for \(count) clips; the rest get no overlay\n".utf8))
            }
            return (0..<count).map { $0 < texts.count ? texts[$0] : "" }
        case (nil, nil):
            return Array(repeating: "", count: count)
        default:
            throw ValidationError("give at most one of --text and --texts-file")
        }
    }

    private func printPreflight(_ report: [TextPreflight.Report], plan: SegmentPlan, size: (width: Int, height: Int)) {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self))
            return
        }
        print("\(plan.count) clips of \(size.width)×\(size.height)" + (look.platform.map { " for \($0.name), text inside its safe area" } ?? ""))
        for (item, segment) in zip(report, plan.segments) {
            print(
                String(format: "clip %3d  %8.3f s  +%7.3f s  ", segment.index + 1, segment.start, segment.duration)
                    + (item.fits ? "fits" : "DOES NOT FIT"))
            for line in item.lines { print("    | \(line)") }
            if !item.missingCharacters.isEmpty {
                let list = item.missingCharacters.map { "U+" + String($0.value, radix: 16, uppercase: true) }.joined(separator: " ")
                print("    drawn as boxes (no installed font has them): \(list)")
            }
        }
    }

    private func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("cutline render: \(message)\n".utf8))
        Foundation.exit(1)
    }
}

/// A one-line progress bar on stderr, redrawn in place.
final class ProgressBar: @unchecked Sendable {
    private let enabled: Bool
    private var lastDrawn = -1

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func update(_ progress: RenderProgress) {
        guard enabled else { return }
        let fraction = min(1, Double(progress.framesDone) / Double(max(1, progress.framesTotal)))
        let percent = Int(fraction * 100)
        guard percent != lastDrawn else { return }
        lastDrawn = percent
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(percent)%  clips \(progress.clipsDone)/\(progress.clipsTotal)".utf8))
    }

    func finish() {
        guard enabled, lastDrawn >= 0 else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
