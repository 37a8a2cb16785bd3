internal import CFFmpeg
public import CutlineCore
import Foundation

/// A media failure with the context a person needs: what went wrong, the file, and FFmpeg's own message.
public struct MediaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The raw values are the job's failure codes after `media_` (e.g. `media_unsupported_format`).
    public enum Code: String, Sendable, Hashable, Codable {
        /// The file could not be opened or read (missing, permission, I/O).
        case unreadable
        /// FFmpeg does not recognise the file as media.
        case notMedia = "not_media"
        /// A format Cutline does not open: a playlist, or anything that is not a video container.
        case unsupportedFormat = "unsupported_format"
        /// Over a `SourceLimits` cap: frame size, duration, stream count.
        case tooLarge = "too_large"
        /// The source stopped sending (a read waited past its timeout, or the call's deadline passed).
        case timedOut = "timed_out"
        /// The container holds no video stream.
        case noVideoStream = "no_video_stream"
        /// The file is cut short or damaged (e.g. the MP4 index is missing).
        case corrupt
        /// No decoder or encoder for a codec in this FFmpeg build.
        case unsupportedCodec = "unsupported_codec"
        /// The render's inputs do not fit together (texts vs segments, output directory).
        case invalidRequest = "invalid_request"
        /// The caller cancelled the render.
        case cancelled
        /// Any other FFmpeg failure.
        case ffmpeg
    }

    public let code: Code
    /// What Cutline was doing, e.g. "opening input" or "encoding video".
    public let operation: String
    /// The file involved, if any.
    public let path: String?
    /// FFmpeg's `av_strerror` text (or a Cutline message when FFmpeg gave no error code).
    public let message: String
    /// FFmpeg's raw error code, 0 when the error did not come from FFmpeg.
    public let averror: Int32

    public init(code: Code, operation: String, path: String? = nil, message: String, averror: Int32 = 0) {
        self.code = code
        self.operation = operation
        self.path = path
        self.message = message
        self.averror = averror
    }

    public var description: String {
        var line = "\(operation) failed"
        if let path { line += " for \(path)" }
        line += ": \(message) [\(code.rawValue)]"
        return line
    }

    public static func cancelled(path: String? = nil) -> MediaError {
        MediaError(code: .cancelled, operation: "render", path: path, message: "cancelled by the caller")
    }

    /// Wraps a negative FFmpeg return value, keeping `av_strerror`'s text.
    static func ffmpeg(_ status: Int32, _ operation: String, path: String? = nil, code: Code = .ffmpeg) -> MediaError {
        MediaError(code: code, operation: operation, path: path, message: averrorText(status), averror: status)
    }
}

/// `av_strerror`'s text for a status (what `av_err2str` gives in C).
func averrorText(_ status: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    if av_strerror(status, &buffer, buffer.count) < 0 {
        return "FFmpeg error \(status)"
    }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Throws for a negative FFmpeg status; returns it otherwise.
@discardableResult
func check(_ status: Int32, _ operation: String, path: String? = nil, code: MediaError.Code = .ffmpeg) throws(MediaError) -> Int32 {
    if status < 0 {
        throw MediaError.ffmpeg(status, operation, path: path, code: code)
    }
    return status
}

extension MediaError: JobFailureConvertible {
    /// The code and FFmpeg's words, without the path (for a job it is a signed URL, not for a person).
    public var jobFailure: JobFailure {
        // A full disk is not the video's fault: say which disk (the path is a local file here, not a URL).
        if averror == -ENOSPC || averror == -EDQUOT {
            return JobFailure(
                code: "storage_full",
                message:
                    "the MediaProcessor's disk is full: \(operation) could not write \(path ?? "its output") (\(message)); free space and start the job again"
            )
        }
        let advice: String =
            switch code {
            case .notMedia, .unreadable: "the upload is not a video Cutline can read; upload an MP4, MOV, MKV or WebM file"
            case .unsupportedFormat: "the upload is not a video file Cutline opens; upload an MP4, MOV, MKV or WebM file"
            case .tooLarge: "the video is larger than this Cutline takes; make it smaller or shorter and upload it again"
            case .timedOut: "the upload could not be read from storage in time; try again"
            case .noVideoStream: "the file has no video stream; upload a video, not an audio file or an image"
            case .corrupt: "the video is damaged or was cut off during upload; upload it again"
            case .unsupportedCodec: "the video's codec is not supported here; convert it to H.264 (e.g. with HandBrake) and upload it again"
            case .invalidRequest: "the job's parameters are not valid"
            case .cancelled: "the job was cancelled"
            case .ffmpeg: "FFmpeg failed while rendering"
            }
        return JobFailure(code: "media_\(code.rawValue)", message: "\(advice) (\(operation): \(message))")
    }
}
