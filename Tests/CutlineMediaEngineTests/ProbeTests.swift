import CutlineCore
import CutlineMediaEngine
import Foundation
import Testing

@Suite("Probe")
struct ProbeTests {
    @Test func describesBigBuckBunny() throws {
        let info = try MediaProbe.probe(try Fixtures.bigBuckBunny)
        #expect(info.container.contains("mp4"))
        // The video stream's duration, as ffprobe reads it (the audio runs a little longer).
        let video = try #require(try FFProbe(try Fixtures.bigBuckBunny).video?.duration)
        #expect(abs(info.duration - video) < 0.001)
        #expect(info.video.codec == "h264")
        #expect(info.video.width == 1280 && info.video.height == 720)
        #expect(info.video.frameRate == FrameRate(25))
        #expect(info.video.rotation == 0)
        #expect(info.video.pixelFormat == "yuv420p")
        #expect(info.audio?.codec == "aac" && info.audio?.sampleRate == 48000 && info.audio?.channels == 6)
    }

    @Test func reportsNoAudioForSilentVideo() throws {
        let info = try MediaProbe.probe(try Fixtures.bikes)
        #expect(info.audio == nil)
        #expect(info.video.width == 640 && info.video.height == 272)
        #expect(abs(info.duration - (try FFProbe(try Fixtures.bikes).formatDuration)) < 0.001)
    }

    @Test func readsRotationFromTheDisplayMatrix() throws {
        let dir = try TemporaryDirectory()
        let rotated = dir.file("rotated.mp4")
        // As a phone records: landscape pixels plus a display matrix saying how to turn them.
        try ffmpeg(["-i", try Fixtures.bikes, "-t", "1", "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated])
        // ffprobe prints the matrix's counter-clockwise angle; probe reports the clockwise turn to apply.
        let counterClockwise = try #require(try FFProbe(rotated).video?.sideDataRotation)
        let info = try MediaProbe.probe(rotated)
        #expect(info.video.rotation == (360 - Int(counterClockwise)) % 360)
        #expect(info.video.rotation % 180 == 90)
        #expect(info.video.displayWidth == 272 && info.video.displayHeight == 640)
    }

    @Test func measuresFromAFarFromZeroStart() throws {
        let dir = try TemporaryDirectory()
        let ts = dir.file("recording.ts")
        try ffmpeg(["-i", try Fixtures.bikes, "-t", "3", "-c", "copy", "-output_ts_offset", "3600", ts])
        let info = try MediaProbe.probe(ts)
        #expect(info.container == "mpegts")
        #expect(info.startTime > 3600)
        #expect(abs(info.duration - 3) < 0.1)
    }

    @Test func rejectsATextFileAsNotMedia() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("notes.mp4")
        try Data("This is not a video, just some words.\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            try MediaProbe.probe(path)
        } throws: { error in
            guard let error = error as? MediaError else { return false }
            // FFmpeg's own message is kept.
            return error.code == .notMedia && error.message.contains("Invalid data") && error.path == path
        }
    }

    @Test func rejectsAMissingFileAsUnreadable() {
        #expect {
            try MediaProbe.probe("/nonexistent/cutline/video.mp4")
        } throws: { ($0 as? MediaError)?.code == .unreadable && ($0 as? MediaError)?.message.contains("No such file") == true }
    }

    @Test func rejectsAudioOnlyFileAsHavingNoVideo() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("sound.m4a")
        try ffmpeg(["-i", try Fixtures.bigBuckBunny, "-vn", "-c", "copy", path])
        #expect {
            try MediaProbe.probe(path)
        } throws: { ($0 as? MediaError)?.code == .noVideoStream }
    }

    @Test func rejectsATruncatedMP4AsCorrupt() throws {
        let dir = try TemporaryDirectory()
        let whole = dir.file("whole.mp4")
        let cut = dir.file("cut.mp4")
        // Without faststart the index (moov) is at the end, so cutting the file loses it.
        try ffmpeg(["-i", try Fixtures.bikes, "-c", "copy", whole])
        let data = try Data(contentsOf: URL(fileURLWithPath: whole))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        #expect {
            try MediaProbe.probe(cut)
        } throws: { error in
            guard let error = error as? MediaError else { return false }
            return (error.code == .notMedia || error.code == .corrupt) && !error.message.isEmpty
        }
    }
}
