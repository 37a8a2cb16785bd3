import CutlineCore
import Foundation
import Testing

@Suite("Platforms")
struct PlatformTests {
    @Test func aClipLongerThanThePlatformTakesIsRefusedWithTheReason() throws {
        // 400 s in 200 s clips: two of 200 s, longer than Reels' and Shorts' 180 s, within TikTok's 600 s.
        let plan = try SegmentPlan.plan(duration: 400, frameRate: FrameRate(30), mode: .fixed(seconds: 200))
        try plan.checkLongestClip(for: .tiktok)
        #expect {
            try plan.checkLongestClip(for: .reels)
        } throws: { error in
            let error = error as! SegmentPlanError
            return error.code == .clipTooLongForPlatform
                && error.description == "clip 1 would be 3 min 20 s long, and Instagram Reels takes clips of at most 3 min: choose shorter clips"
        }
        // The tail merge counts: 200 s in 150 s clips is one clip of 200 s (the 50 s tail joins it).
        let merged = try SegmentPlan.plan(duration: 200, frameRate: FrameRate(30), mode: .fixed(seconds: 150))
        #expect(merged.count == 1)
        #expect(throws: SegmentPlanError.self) { try merged.checkLongestClip(for: .shorts) }
    }

    @Test func safeAreasLeaveTheTextRoomInTheMiddle() {
        for platform in Platform.allCases {
            let area = platform.safeArea
            #expect(area.top + area.bottom < 0.7 && area.left + area.right < 0.3, "\(platform)")
            #expect(platform.shape.size(sourceWidth: 1280, sourceHeight: 720) == (1080, 1920))
        }
    }

    @Test func stylesStoredBeforeTheNewFieldsStillDecode() throws {
        let old =
            #"{"position":"top","fontSize":0.05,"textColor":{"red":255,"green":255,"blue":255,"opacity":1},"outline":2,"outlineColor":{"red":0,"green":0,"blue":0,"opacity":1},"margin":0.08,"fontFamily":"DejaVu Sans"}"#
        let style = try JSONDecoder().decode(OverlayStyle.self, from: Data(old.utf8))
        #expect(style.position == .top && style.boxColor == nil && style.shadow == 0 && style.alignment == .center)
    }
}
