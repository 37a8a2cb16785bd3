import ArgumentParser
import CutlineMediaEngine
import Foundation

/// `cutline probe FILE`: what Cutline sees in a video.
struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe a video: duration, container, video and audio streams.")

    @Argument(help: "The video file.")
    var file: String

    @Flag(help: "Print the description as JSON.")
    var json = false

    func run() throws {
        FFmpegLog.setLevel(.error)
        let info: MediaInfo
        do {
            info = try MediaProbe.probe(file)
        } catch {
            FileHandle.standardError.write(Data("cutline probe: \(error)\n".utf8))
            throw ExitCode(1)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(info), as: UTF8.self))
            return
        }
        let v = info.video
        print("file       \(file)")
        print("container  \(info.container)")
        print("duration   \(String(format: "%.3f", info.duration)) s (starts at \(String(format: "%.3f", info.startTime)) s)")
        print(
            "video      \(v.codec) \(v.width)x\(v.height) \(v.pixelFormat) \(v.frameRate) fps"
                + (v.rotation != 0 ? ", rotated \(v.rotation)° (shown \(v.displayWidth)x\(v.displayHeight))" : ""))
        if let a = info.audio {
            print("audio      \(a.codec) \(a.sampleRate) Hz, \(a.channels) channel\(a.channels == 1 ? "" : "s")")
        } else {
            print("audio      none")
        }
    }
}
