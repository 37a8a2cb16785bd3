internal import CFFmpeg
import CutlineCore
import Foundation
import Synchronization

/// How much of a source Cutline is willing to open: uploads come from strangers, so a frame, a length
/// and a stream count beyond these are refused (`.tooLarge`) before they are decoded, and a source that
/// stops sending is given up on (`.timedOut`) rather than waited for.
public struct SourceLimits: Sendable, Hashable {
    /// The widest and tallest frame (either way round) and the most pixels in one frame: 8192 × 8192 and
    /// 36 Mpx hold 8K (7680 × 4320 = 33 Mpx) and refuse the 16K × 16K "decompression bomb".
    public var maxFrameSide: Int
    public var maxFramePixels: Int
    /// The longest source, in seconds.
    public var maxDuration: Double
    /// The most streams a container may hold (a real video has a few; thousands are an attack on memory).
    public var maxStreams: Int
    /// How long one read may wait for the source to send anything (FFmpeg's `rw_timeout`).
    public var readTimeout: Duration

    public init(
        maxFrameSide: Int = 8192, maxFramePixels: Int = 36_000_000, maxDuration: Double = 4 * 3600,
        maxStreams: Int = 32, readTimeout: Duration = .seconds(15)
    ) {
        self.maxFrameSide = maxFrameSide
        self.maxFramePixels = maxFramePixels
        self.maxDuration = maxDuration
        self.maxStreams = maxStreams
        self.readTimeout = readTimeout
    }

    public static let standard = SourceLimits()

    /// The container formats Cutline opens, by FFmpeg's demuxer name. An allow-list: formats that open
    /// other resources (HLS, DASH, concat, image sequences, tee, subfile, any playlist) are not on it, so
    /// an upload cannot make the processor fetch a URL it names.
    public static let containerFormats: Set<String> = [
        "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "avi", "mpegts", "mpeg", "flv", "mxf", "ogg", "asf", "wav", "mp3",
    ]
}

/// Stops FFmpeg's blocking I/O on a source: when `cancel()` is called from any thread, or when the
/// deadline passes. FFmpeg asks it between waits (its interrupt callback, about every 100 ms while a
/// socket is silent), so neither a stalled server nor a cancelled job can hold a thread.
public final class MediaInterrupt: Sendable {
    public enum Reason: Sendable, Equatable {
        case cancelled
        case deadline(Duration)
    }

    private let cancelled = Atomic<Bool>(false)
    private let deadline: ContinuousClock.Instant?
    private let allowed: Duration?

    /// `deadline`: when reading must stop, if ever.
    public init(deadline: ContinuousClock.Instant? = nil) {
        self.deadline = deadline
        allowed = deadline.map { $0 - ContinuousClock.now }
    }

    public convenience init(timeout: Duration) {
        self.init(deadline: .now + timeout)
    }

    public func cancel() { cancelled.store(true, ordering: .relaxed) }

    public var isCancelled: Bool { reason != nil }

    /// Why reading must stop, or nil while it may go on.
    public var reason: Reason? {
        if cancelled.load(ordering: .relaxed) { return .cancelled }
        if let deadline, ContinuousClock.now >= deadline { return .deadline(allowed ?? .zero) }
        return nil
    }

    /// The error for a stop, naming the source.
    func error(_ reason: Reason, path: String) -> MediaError {
        switch reason {
        case .cancelled: .cancelled(path: path)
        case .deadline(let allowed):
            MediaError(
                code: .timedOut, operation: "reading the source", path: path,
                message: "the source did not arrive within the \(allowed.secondsText) allowed; the storage is slow or not answering")
        }
    }
}

extension Duration {
    /// "2.5 s".
    var secondsText: String {
        String(format: inSeconds < 10 ? "%.1f s" : "%.0f s", inSeconds)
    }

    var microseconds: Int64 {
        components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }
}

/// FFmpeg's interrupt callback: 1 stops the blocking call (it returns AVERROR_EXIT).
let mediaInterruptCallback: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { opaque in
    guard let opaque else { return 0 }
    return Unmanaged<MediaInterrupt>.fromOpaque(opaque).takeUnretainedValue().isCancelled ? 1 : 0
}

/// Which FFmpeg protocols may open `source`: only the one its scheme needs (and what that one stands on),
/// so nothing in a file can reach another protocol. Local paths are opened through `file:` explicitly,
/// so a path that looks like `name:rest` is never taken for a protocol.
struct SourceLocation {
    let url: String
    let protocols: String

    init(_ source: String) throws(MediaError) {
        let lower = source.lowercased()
        if lower.hasPrefix("https://") {
            url = source
            protocols = "https,tls,tcp"
        } else if lower.hasPrefix("http://") {
            url = source
            protocols = "http,tcp"
        } else if lower.hasPrefix("file:") {
            url = source
            protocols = "file"
        } else if source.contains("://") {
            throw MediaError(
                code: .invalidRequest, operation: "opening input", path: source,
                message: "a source is a local file or an http(s) URL, not \(source.prefix { $0 != ":" })")
        } else {
            url = "file:" + source
            protocols = "file"
        }
    }
}
