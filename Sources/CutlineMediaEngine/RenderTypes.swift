public import CutlineCore

/// Encoder settings for every clip. The defaults are the issue's: x264 veryfast CRF 23, AAC 128 kb/s,
/// source resolution.
public struct EncodingSettings: Sendable, Hashable, Codable {
    public var videoCodec: String
    public var preset: String
    public var crf: Int
    public var audioCodec: String
    public var audioBitRate: Int
    /// `+faststart`: the MP4 index goes to the front, so a browser can play a clip while it downloads.
    public var faststart: Bool
    /// Finish each clip (its last sound, the trailer and the faststart rewrite) on a second thread while
    /// the next clip encodes. The render has one video encoder either way.
    public var finishClipsConcurrently: Bool
    /// The H.264 profile (`high` for the platforms), or the encoder's choice.
    public var profile: String? = nil
    /// Every GOP closed (no frame refers across a keyframe), as the platforms ask.
    public var closedGOP = false
    /// Resample the sound to this rate (48 kHz for the platforms); nil keeps the source's.
    public var audioSampleRate: Int? = nil

    public init(
        videoCodec: String = "libx264", preset: String = "veryfast", crf: Int = 23, audioCodec: String = "aac", audioBitRate: Int = 128_000,
        faststart: Bool = true, finishClipsConcurrently: Bool = false
    ) {
        self.videoCodec = videoCodec
        self.preset = preset
        self.crf = crf
        self.audioCodec = audioCodec
        self.audioBitRate = audioBitRate
        self.faststart = faststart
        self.finishClipsConcurrently = finishClipsConcurrently
    }
}

extension EncodingSettings {
    /// The video encoder's options.
    var videoOptions: [(String, String)] {
        var options: [(String, String)] = []
        if videoCodec == "libx264" {
            options += [("preset", preset), ("crf", "\(crf)")]
            if let profile { options.append(("profile", profile)) }
        }
        if closedGOP { options.append(("flags", "+cgop")) }
        return options
    }
}

/// Everything one render needs.
public struct RenderRequest: Sendable {
    public var source: String
    public var plan: SegmentPlan
    /// One text per segment; an empty text means no overlay on that clip.
    public var texts: [String]
    public var style: OverlayStyle
    /// The clips' frame: aspect, fit and height (the source's by default).
    public var shape = OutputShape()
    /// Where the text may go; nil keeps it inside the style's margins.
    public var safeArea: SafeArea?
    public var encoding: EncodingSettings
    public var outputDirectory: String
    /// Clip `i` is written as `<prefix>-<i+1, three digits>.mp4`.
    public var fileNamePrefix: String
    /// Makes the clips for `platform`: its frame, safe area, encoder constraints and loudness.
    public mutating func target(_ platform: Platform) {
        shape = platform.shape
        safeArea = platform.safeArea
        encoding.profile = "high"
        encoding.closedGOP = true
        encoding.audioSampleRate = 48000
        encoding.faststart = true
        loudness = .platform
    }

    /// Write a JPEG thumbnail beside each clip (a frame half a second in, with its text), at most
    /// `thumbnailWidth` pixels wide.
    public var thumbnails = true
    public var thumbnailWidth = 480

    /// Render only the segments from this index on (a job resumed after the earlier clips were stored):
    /// the source is read from the keyframe before that segment, and each clip is the one a whole render
    /// would have written.
    public var firstSegment: Int = 0

    /// Render only the segments before this index (nil: to the plan's end): one task of a job split over
    /// processors. Reading stops once the last of them has its picture and sound; each clip is the one
    /// a whole render would have written.
    public var endSegment: Int?

    /// What the source may be: frame size, length, streams, how long a read may wait.
    public var limits = SourceLimits.standard
    /// Each clip's sound brought to this loudness (measured in a first pass over the sound); nil: as
    /// the source has it.
    public var loudness: LoudnessTarget?

    public init(
        source: String, plan: SegmentPlan, texts: [String], style: OverlayStyle = OverlayStyle(), encoding: EncodingSettings = EncodingSettings(),
        outputDirectory: String, fileNamePrefix: String = "clip"
    ) {
        self.source = source
        self.plan = plan
        self.texts = texts
        self.style = style
        self.encoding = encoding
        self.outputDirectory = outputDirectory
        self.fileNamePrefix = fileNamePrefix
    }
}

/// A finished clip, reported as soon as its file is complete.
public struct RenderedClip: Sendable, Hashable, Codable {
    public var index: Int
    public var path: String
    public var start: Double
    public var duration: Double
    public var frames: Int
    public var hasAudio: Bool
    public var bytes: Int64
    /// A JPEG of a frame from the clip's first second, overlay included (`<clip name>.jpg`), when asked for.
    public var thumbnailPath: String?
}

public struct RenderProgress: Sendable, Hashable {
    public var framesDone: Int
    /// An estimate from the duration and frame rate (exact for constant-frame-rate sources).
    public var framesTotal: Int
    public var clipsDone: Int
    public var clipsTotal: Int
}
