internal import CFontconfig

/// Owns a fontconfig fallback list for a family and the FreeType faces opened from it: which installed
/// font draws a character (as libass asks fontconfig when it renders), and how wide it is.
final class FontFallback {
    private let fonts: UnsafeMutablePointer<FcFontSet>?
    private var library: FT_Library?
    private var faces: [Int: FT_Face] = [:]
    private let pixels: Double

    init(family: String, pixels: Double) {
        self.pixels = pixels
        let pattern = cutline_fc_family_pattern(family)
        FcConfigSubstitute(nil, pattern, FcMatchPattern)
        FcDefaultSubstitute(pattern)
        var result = FcResultNoMatch
        // Sorted by closeness to the family, untrimmed: every installed font, best first.
        fonts = FcFontSort(nil, pattern, FcFalse, nil, &result)
        FcPatternDestroy(pattern)
        var library: FT_Library?
        if FT_Init_FreeType(&library) == 0 { self.library = library }
    }

    deinit {
        for face in faces.values { FT_Done_Face(face) }
        if let library { FT_Done_FreeType(library) }
        if let fonts { FcFontSetDestroy(fonts) }
    }

    private var count: Int { Int(fonts?.pointee.nfont ?? 0) }

    /// The position in the fallback list of the first font that has `scalar`, or nil if none does.
    func font(for scalar: Unicode.Scalar) -> Int? {
        guard let fonts else { return nil }
        for index in 0..<count {
            guard let pattern = fonts.pointee.fonts[index], let charset = cutline_fc_charset(pattern) else { continue }
            if FcCharSetHasChar(charset, scalar.value) != 0 { return index }
        }
        return nil
    }

    /// The advance of `scalar` in pixels at the layout size (unshaped: no kerning or ligatures).
    func advance(of scalar: Unicode.Scalar) -> Double {
        guard let index = font(for: scalar), let face = face(index) else { return pixels * 0.6 }
        let glyph = FT_Get_Char_Index(face, FT_ULong(scalar.value))
        var advance: FT_Fixed = 0
        guard FT_Get_Advance(face, glyph, cutline_ft_load_no_hinting(), &advance) == 0 else { return pixels * 0.6 }
        let scalable = (face.pointee.face_flags & FT_Long(FT_FACE_FLAG_SCALABLE)) != 0
        if scalable {
            return Double(advance) / 65536
        }
        // A bitmap-only font (Noto Color Emoji): the strike's advance scaled to the layout size.
        let strike = Double(face.pointee.size.pointee.metrics.y_ppem)
        return strike > 0 ? Double(advance) / 65536 * pixels / strike : pixels
    }

    /// The line height of the preferred font at the layout size (ascender + descender, as libass uses).
    var lineHeight: Double {
        guard count > 0, let face = face(0), face.pointee.units_per_EM > 0 else { return pixels * 1.2 }
        let units = Double(face.pointee.ascender) - Double(face.pointee.descender)
        return units / Double(face.pointee.units_per_EM) * pixels
    }

    private func face(_ index: Int) -> FT_Face? {
        if let face = faces[index] { return face }
        guard let library, let fonts, let pattern = fonts.pointee.fonts[index], let file = cutline_fc_file(pattern) else { return nil }
        var face: FT_Face?
        guard FT_New_Face(library, file, FT_Long(cutline_fc_index(pattern)), &face) == 0, let face else { return nil }
        if FT_Set_Pixel_Sizes(face, 0, FT_UInt(max(1, pixels.rounded()))) != 0, face.pointee.num_fixed_sizes > 0 {
            FT_Select_Size(face, 0)
        }
        faces[index] = face
        return face
    }
}
