internal import CFFmpeg

/// Which RGB → YUV matrix a frame's colours use.
enum ColorMatrix {
    case bt601, bt709

    /// The frame's own tag, or what players assume for untagged video (BT.709 from 720 lines up).
    init(colorspace: AVColorSpace, height: Int) {
        switch colorspace {
        case AVCOL_SPC_BT709: self = .bt709
        case AVCOL_SPC_BT470BG, AVCOL_SPC_SMPTE170M: self = .bt601
        default: self = height >= 720 ? .bt709 : .bt601
        }
    }

    var coefficients: (kr: Double, kb: Double) {
        switch self {
        case .bt601: (0.299, 0.114)
        case .bt709: (0.2126, 0.0722)
        }
    }
}

/// Overlay text converted once to the video's planes (limited-range YUV 4:2:0, premultiplied by alpha)
/// and blended into each frame of its clip. Only the text's bounding box is kept and touched, so the
/// per-frame cost is proportional to the text, not the frame.
struct TextImage {
    /// Top-left corner on the frame (even, for 4:2:0), and size (even).
    let x: Int
    let y: Int
    let width: Int
    let height: Int
    /// Per pixel: coverage 0…255, and the colour times coverage times 255.
    private let alpha: [UInt8]
    private let luma: [UInt16]
    /// Per 2×2 block: mean coverage, and mean premultiplied Cb and Cr (×255).
    private let chromaAlpha: [UInt8]
    private let cb: [UInt16]
    private let cr: [UInt16]

    /// Converts Cairo's premultiplied native-endian ARGB32 image, placed at (`x`, `y`) on the frame;
    /// nil when nothing is drawn.
    init?(
        argb data: UnsafeRawPointer, stride: Int, width canvasWidth: Int, height canvasHeight: Int, x canvasX: Int, y canvasY: Int,
        matrix: ColorMatrix
    ) {
        func pixel(_ col: Int, _ row: Int) -> UInt32 {
            data.load(fromByteOffset: row * stride + col * 4, as: UInt32.self)
        }
        // The drawn pixels' bounding box, widened to even frame coordinates.
        var minCol = canvasWidth
        var maxCol = -1
        var minRow = canvasHeight
        var maxRow = -1
        for row in 0..<canvasHeight {
            for col in 0..<canvasWidth where pixel(col, row) >> 24 != 0 {
                minCol = min(minCol, col)
                maxCol = max(maxCol, col)
                minRow = min(minRow, row)
                maxRow = max(maxRow, row)
            }
        }
        guard maxCol >= 0 else { return nil }
        let left = (canvasX + minCol) & ~1
        let top = (canvasY + minRow) & ~1
        let right = (canvasX + maxCol + 2) & ~1
        let bottom = (canvasY + maxRow + 2) & ~1
        x = left
        y = top
        width = right - left
        height = bottom - top

        let (kr, kb) = matrix.coefficients
        let kg = 1 - kr - kb
        var alpha = [UInt8](repeating: 0, count: width * height)
        var luma = [UInt16](repeating: 0, count: width * height)
        var cbSum = [Double](repeating: 0, count: width * height / 4)
        var crSum = [Double](repeating: 0, count: width * height / 4)
        var aSum = [Int](repeating: 0, count: width * height / 4)
        for row in 0..<height {
            let canvasRow = top + row - canvasY
            guard canvasRow >= 0, canvasRow < canvasHeight else { continue }
            for col in 0..<width {
                let canvasCol = left + col - canvasX
                guard canvasCol >= 0, canvasCol < canvasWidth else { continue }
                let value = pixel(canvasCol, canvasRow)
                let a = Double(value >> 24)
                let r = Double(value >> 16 & 0xFF)
                let g = Double(value >> 8 & 0xFF)
                let b = Double(value & 0xFF)
                guard a > 0 else { continue }
                // Premultiplied: r = coverage × red, so each term below is already × coverage.
                let y = kr * r + kg * g + kb * b
                let index = row * width + col
                alpha[index] = UInt8(a)
                luma[index] = UInt16((16 * a + 219 * y).rounded())
                let block = (row / 2) * (width / 2) + col / 2
                aSum[block] += Int(a)
                cbSum[block] += 128 * a + 224 * (b - y) / (2 * (1 - kb))
                crSum[block] += 128 * a + 224 * (r - y) / (2 * (1 - kr))
            }
        }
        self.alpha = alpha
        self.luma = luma
        chromaAlpha = aSum.map { UInt8(($0 + 2) / 4) }
        cb = cbSum.map { UInt16(max(0, min(65025, ($0 / 4).rounded()))) }
        cr = crSum.map { UInt16(max(0, min(65025, ($0 / 4).rounded()))) }
    }

    /// Blends the text into a writable yuv420p frame; what falls outside the frame is left out.
    func blend(into frame: UnsafeMutablePointer<AVFrame>) {
        let frameWidth = Int(frame.pointee.width) & ~1
        let frameHeight = Int(frame.pointee.height) & ~1
        let col0 = max(0, -x)
        let col1 = min(width, frameWidth - x)
        let row0 = max(0, -y)
        let row1 = min(height, frameHeight - y)
        guard col0 < col1, row0 < row1, let lumaPlane = frame.pointee.data.0,
            let cbPlane = frame.pointee.data.1, let crPlane = frame.pointee.data.2
        else { return }
        let lumaStride = Int(frame.pointee.linesize.0)
        let cbStride = Int(frame.pointee.linesize.1)
        let crStride = Int(frame.pointee.linesize.2)
        alpha.withUnsafeBufferPointer { alpha in
            luma.withUnsafeBufferPointer { luma in
                for row in row0..<row1 {
                    let destination = lumaPlane + (y + row) * lumaStride + x
                    let source = row * width
                    for col in col0..<col1 {
                        let a = UInt32(alpha[source + col])
                        if a == 0 { continue }
                        destination[col] = UInt8((UInt32(destination[col]) * (255 - a) + UInt32(luma[source + col]) + 127) / 255)
                    }
                }
            }
        }
        let chromaWidth = width / 2
        chromaAlpha.withUnsafeBufferPointer { alpha in
            cb.withUnsafeBufferPointer { cb in
                cr.withUnsafeBufferPointer { cr in
                    for row in (row0 / 2)..<((row1 + 1) / 2) {
                        let cbRow = cbPlane + (y / 2 + row) * cbStride + x / 2
                        let crRow = crPlane + (y / 2 + row) * crStride + x / 2
                        let source = row * chromaWidth
                        for col in (col0 / 2)..<((col1 + 1) / 2) {
                            let a = UInt32(alpha[source + col])
                            if a == 0 { continue }
                            cbRow[col] = UInt8((UInt32(cbRow[col]) * (255 - a) + UInt32(cb[source + col]) + 127) / 255)
                            crRow[col] = UInt8((UInt32(crRow[col]) * (255 - a) + UInt32(cr[source + col]) + 127) / 255)
                        }
                    }
                }
            }
        }
    }
}
