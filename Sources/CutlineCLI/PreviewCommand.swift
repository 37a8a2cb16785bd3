import ArgumentParser
import CutlineCore
import CutlineMediaEngine
import Foundation

/// `cutline preview FILE --at SECONDS --text TEXT --out FRAME.jpg`: the frame a clip will show, made by
/// the render's own pipeline.
struct PreviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Write the frame at a moment of the video as a clip will show it (text, style, shape) as JPEG."
    )

    @Argument(help: "The source video.")
    var file: String

    @Option(help: "The moment, in seconds from the start of the video.")
    var at: Double

    @Option(help: "The overlay text.")
    var text: String = ""

    @OptionGroup(title: "Text style and output shape")
    var look: LookOptions

    @Option(help: "Where to write the JPEG.")
    var out: String

    func run() async throws {
        FFmpegLog.setLevel(.error)
        var request = PreviewRequest(source: file, seconds: at, text: text, style: try look.overlayStyle())
        if let platform = look.platform { request.target(platform) }
        request.shape = try look.outputShape()
        let jpeg: Data
        do {
            jpeg = try Preview.jpeg(request)
        } catch {
            fail("\(error)")
        }
        do {
            try jpeg.write(to: URL(fileURLWithPath: out), options: .atomic)
        } catch {
            fail("cannot write \(out): \(error.localizedDescription)")
        }
        print("\(out): \(jpeg.count) bytes")
    }

    private func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("cutline preview: \(message)\n".utf8))
        Foundation.exit(1)
    }
}
