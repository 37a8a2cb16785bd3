internal import CFFmpeg

/// FFmpeg logs to stderr through one process-wide level. The engine never changes it on its own;
/// executables (and tests) choose.
public enum FFmpegLog {
    public enum Level: Int32, Sendable {
        case quiet = -8
        case error = 16
        case warning = 24
        case info = 32
    }

    public static func setLevel(_ level: Level) {
        av_log_set_level(level.rawValue)
    }
}
