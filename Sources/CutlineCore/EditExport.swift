import Foundation

/// A started job's cut list for a video editor: every planned clip as a range of the source, frame for
/// frame as the render cuts it, in CMX 3600 EDL (`edl()`) and OpenTimelineIO (`otio()`). The clips are
/// laid end to end on one video track; each carries its overlay text (a comment in the EDL, metadata in
/// OpenTimelineIO).
public struct EditExport: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case edl, otio

        public var fileExtension: String { rawValue }

        /// The format a person named (any case); the error lists the ones there are.
        public static func named(_ name: String) throws(EditExportError) -> Format {
            guard let format = Format(rawValue: name.lowercased()) else {
                throw EditExportError("format \"\(name)\" is not one of \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return format
        }
        public var contentType: String {
            switch self {
            case .edl: "text/plain; charset=utf-8"
            case .otio: "application/json"
            }
        }
    }

    /// The timeline's name: the uploaded file's, without its extension.
    public var title: String
    /// The source as the editor should find it: the uploaded file's name.
    public var sourceName: String
    public var plan: SegmentPlan
    /// One per clip; empty for a clip without text.
    public var texts: [String]

    public init(title: String, sourceName: String, plan: SegmentPlan, texts: [String]) {
        self.title = title
        self.sourceName = sourceName
        self.plan = plan
        self.texts = texts
    }

    public func rendered(as format: Format) throws -> String {
        switch format {
        case .edl: edl()
        case .otio: try otio()
        }
    }

    /// Each clip's first frame and frame count, at the source's frame rate: a clip ends where the next
    /// begins, the last at the source's end.
    public var frameRanges: [(start: Int, count: Int)] {
        let rate = plan.frameRate
        let total = Int((plan.duration * Double(rate.numerator) / Double(rate.denominator)).rounded())
        return plan.segments.enumerated().map { index, segment in
            let end = index + 1 < plan.segments.count ? plan.segments[index + 1].startFrame : max(total, segment.startFrame + 1)
            return (segment.startFrame, end - segment.startFrame)
        }
    }

    // MARK: CMX 3600

    /// CMX 3600, non-drop-frame timecode at the rate's nearest whole number of frames a second (so
    /// 29.97 fps counts 30 a second: every frame is addressed exactly, as editors read it with the
    /// source's rate). Event lines are ASCII; the clip name and text follow as comments.
    public func edl() -> String {
        let perSecond = max(1, Int((Double(plan.frameRate.numerator) / Double(plan.frameRate.denominator)).rounded()))
        func timecode(_ frames: Int) -> String {
            let (seconds, frame) = frames.quotientAndRemainder(dividingBy: perSecond)
            return String(format: "%02d:%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60, frame)
        }
        var lines = ["TITLE: \(Self.ascii(title, limit: 70))", "FCM: NON-DROP FRAME", ""]
        var record = 0
        for (index, range) in frameRanges.enumerated() {
            let event = String(format: "%03d", index + 1)
            lines.append(
                "\(event)  AX       V     C        \(timecode(range.start)) \(timecode(range.start + range.count)) \(timecode(record)) \(timecode(record + range.count))"
            )
            lines.append("* FROM CLIP NAME: \(Self.oneLine(sourceName))")
            if index < texts.count, !texts[index].isEmpty { lines.append("* COMMENT: CLIP \(index + 1) TEXT: \(Self.oneLine(texts[index]))") }
            record += range.count
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func ascii(_ text: String, limit: Int) -> String {
        String(text.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "_" }.prefix(limit))
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    // MARK: OpenTimelineIO

    /// An OpenTimelineIO timeline (`.otio`, its JSON): one video track of clips whose source ranges are
    /// the planned clips, each referring to the source file.
    public func otio() throws -> String {
        let rate = Double(plan.frameRate.numerator) / Double(plan.frameRate.denominator)
        let total = frameRanges.last.map { $0.start + $0.count } ?? 0
        func range(_ start: Int, _ count: Int) -> OTIO.TimeRange {
            OTIO.TimeRange(startTime: .init(value: Double(start), rate: rate), duration: .init(value: Double(count), rate: rate))
        }
        let clips = frameRanges.enumerated().map { index, frames in
            OTIO.Clip(
                name: "clip \(index + 1)", sourceRange: range(frames.start, frames.count),
                metadata: ["cutline": ["index": .int(index), "text": .string(index < texts.count ? texts[index] : "")]],
                mediaReferences: ["DEFAULT_MEDIA": OTIO.ExternalReference(targetURL: sourceName, availableRange: range(0, total))])
        }
        let timeline = OTIO.Timeline(
            name: title, tracks: OTIO.Stack(children: [OTIO.Track(name: "Cutline clips", children: clips)]),
            metadata: ["cutline": ["clips": .int(clips.count), "frame_rate": .string(plan.frameRate.description)]])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(timeline), as: UTF8.self) + "\n"
    }
}

/// The OpenTimelineIO schema objects the export writes (their JSON, as `otio_json` reads it).
enum OTIO {
    enum Value: Encodable {
        case int(Int)
        case string(String)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .int(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            }
        }
    }

    struct RationalTime: Encodable {
        let schema = "RationalTime.1"
        let value: Double
        let rate: Double
        enum CodingKeys: String, CodingKey {
            case schema = "OTIO_SCHEMA"
            case value, rate
        }
    }

    struct TimeRange: Encodable {
        let schema = "TimeRange.1"
        let startTime: RationalTime
        let duration: RationalTime
        enum CodingKeys: String, CodingKey {
            case schema = "OTIO_SCHEMA"
            case startTime = "start_time"
            case duration
        }
    }

    struct ExternalReference: Encodable {
        let schema = "ExternalReference.1"
        let targetURL: String
        let availableRange: TimeRange
        enum CodingKeys: String, CodingKey {
            case schema = "OTIO_SCHEMA"
            case targetURL = "target_url"
            case availableRange = "available_range"
        }
    }

    struct Clip: Encodable {
        let schema = "Clip.2"
        let name: String
        let sourceRange: TimeRange
        let metadata: [String: [String: Value]]
        let mediaReferences: [String: ExternalReference]
        let activeMediaReferenceKey = "DEFAULT_MEDIA"
        enum CodingKeys: String, CodingKey {
            case schema = "OTIO_SCHEMA"
            case name, metadata
            case sourceRange = "source_range"
            case mediaReferences = "media_references"
            case activeMediaReferenceKey = "active_media_reference_key"
        }
    }

    struct Track: Encodable {
        let schema = "Track.1"
        let name: String
        let kind = "Video"
        let children: [Clip]
        enum CodingKeys: String, CodingKey {
            case schema = "OTIO_SCHEMA"
            case name, kind, children
        }
    }

    struct Stack: Encodable {
        let schema = "Stack.1"
        let name = "tracks"
        let children: [Track]
        enum CodingKeys: String, CodingKey {
            case schema = "OTIO_SCHEMA"
            case name, children
        }
    }

    struct Timeline: Encodable {
        let schema = "Timeline.1"
        let name: String
        let tracks: Stack
        let metadata: [String: [String: Value]]
        enum CodingKeys: String, CodingKey {
            case schema = "OTIO_SCHEMA"
            case name, tracks, metadata
        }
    }
}

/// A format name that is not one of the exports.
public struct EditExportError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
