internal import CPango
import CutlineCore

/// Lays out and draws overlay text with Pango and Cairo: HarfBuzz shaping (Arabic joined, Indic vowel
/// signs, combining marks), bidi, line breaking by Unicode's rules (CJK wraps without spaces), per-glyph
/// font fallback through fontconfig, and colour emoji drawn in colour. The text is given to Pango as
/// plain text (`pango_layout_set_text`), never as markup, so nothing a user types is interpreted.
///
/// One painter per thread: it owns its Pango context, which must not be shared between threads.
final class TextPainter {
    let layout: OverlayLayout
    private let context: OpaquePointer
    private let font: OpaquePointer

    init(layout: OverlayLayout) {
        self.layout = layout
        // A font map of our own: Pango's default one is per thread, and a painter may move between
        // threads with the render that owns it.
        let fontMap = pango_cairo_font_map_new()!
        context = pango_font_map_create_context(fontMap)
        cutline_g_object_unref(UnsafeMutableRawPointer(fontMap))  // the context keeps it
        // Unhinted outlines and metrics: the layout is the same at every size and on every machine.
        let options = cairo_font_options_create()
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY)
        pango_cairo_context_set_font_options(context, options)
        cairo_font_options_destroy(options)
        font = pango_font_description_new()
        pango_font_description_set_family(font, layout.style.fontFamily)
        pango_font_description_set_absolute_size(font, layout.fontPixels * Double(cutline_pango_scale()))
    }

    deinit {
        pango_font_description_free(font)
        cutline_g_object_unref(UnsafeMutableRawPointer(context))
    }

    /// The pre-flight's report: the lines as they wrap, whether they fit the safe area, and every
    /// character the renderer would draw as a box (no installed font has a glyph for it).
    func measure(_ text: String) -> TextPreflight.Report {
        guard let laid = TextLayout(text, painter: self) else {
            return TextPreflight.Report(text: text, lines: [], fits: true, missingCharacters: [])
        }
        return TextPreflight.Report(
            text: text, lines: laid.lines, fits: laid.canvasHeight <= layout.safe.height, missingCharacters: laid.missingCharacters)
    }

    /// The text drawn as it will appear on the frame, placed in the safe area; nil for an empty text.
    func paint(_ text: String, matrix: ColorMatrix) throws(MediaError) -> TextImage? {
        guard let laid = TextLayout(text, painter: self) else { return nil }
        let width = layout.safe.width
        let height = laid.canvasHeight
        guard width > 0, height > 0 else { return nil }
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height)),
            cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS
        else {
            throw MediaError(code: .invalidRequest, operation: "drawing the overlay text", message: "Cairo could not make a \(width)×\(height) image")
        }
        defer { cairo_surface_destroy(surface) }
        let cr = cairo_create(surface)!
        defer { cairo_destroy(cr) }
        laid.draw(on: cr)
        cairo_surface_flush(surface)

        let top: Int
        switch layout.style.position {
        case .top: top = layout.safe.top
        case .center: top = layout.safe.top + (layout.safe.height - height) / 2
        case .bottom: top = layout.safe.bottom - height
        }
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = UnsafeRawPointer(cairo_image_surface_get_data(surface)!)
        return TextImage(argb: data, stride: stride, width: width, height: height, x: layout.safe.left, y: top, matrix: matrix)
    }

    fileprivate var pangoContext: OpaquePointer { context }
    fileprivate var fontDescription: OpaquePointer { font }
}

/// One text laid out by Pango; owns the `PangoLayout`.
private final class TextLayout {
    let pango: OpaquePointer
    let layout: OverlayLayout
    let scale = Double(cutline_pango_scale())

    /// Nil when the text draws nothing (empty or only spaces).
    init?(_ text: String, painter: TextPainter) {
        let shown = Self.displayable(text)
        guard shown.contains(where: { !$0.isWhitespace }) else { return nil }
        layout = painter.layout
        pango = pango_layout_new(painter.pangoContext)
        pango_layout_set_font_description(pango, painter.fontDescription)
        pango_layout_set_width(pango, Int32(layout.lineWidth * scale))
        pango_layout_set_wrap(pango, PANGO_WRAP_WORD_CHAR)
        switch layout.style.alignment {
        case .left: pango_layout_set_alignment(pango, PANGO_ALIGN_LEFT)
        case .center: pango_layout_set_alignment(pango, PANGO_ALIGN_CENTER)
        case .right: pango_layout_set_alignment(pango, PANGO_ALIGN_RIGHT)
        }
        if layout.style.lineSpacing != 1, layout.style.lineSpacing > 0 {
            pango_layout_set_line_spacing(pango, Float(layout.style.lineSpacing))
        }
        pango_layout_set_text(pango, shown, -1)
    }

    deinit {
        cutline_g_object_unref(UnsafeMutableRawPointer(pango))
    }

    /// Control characters become spaces (a NUL would end the C string); line breaks stay.
    static func displayable(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            defer { previousWasCR = scalar == "\r" }
            switch scalar {
            case "\r": out.append("\n")
            case "\n": if !previousWasCR { out.append("\n") }
            default: out.append(scalar.properties.generalCategory == .control ? " " : scalar)
            }
        }
        return String(out)
    }

    /// The canvas: the laid-out text plus room for box, outline and shadow above and below.
    var canvasHeight: Int {
        var ink = PangoRectangle()
        var logical = PangoRectangle()
        pango_layout_get_pixel_extents(pango, &ink, &logical)
        return Int((Double(logical.height) + 2 * layout.bleed).rounded(.up))
    }

    var lines: [String] {
        let utf8 = Array(String(cString: pango_layout_get_text(pango)).utf8)
        var lines: [String] = []
        for index in 0..<pango_layout_get_line_count(pango) {
            guard let line = pango_layout_get_line_readonly(pango, index) else { continue }
            let start = Int(line.pointee.start_index)
            let end = min(utf8.count, start + Int(line.pointee.length))
            let piece = String(decoding: utf8[start..<max(start, end)], as: UTF8.self)
            lines.append(String(piece.reversed().drop(while: { $0.isWhitespace }).reversed()))
        }
        while lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Characters Pango could find no font for: it draws them as boxes (the unknown-glyph flag).
    var missingCharacters: [Unicode.Scalar] {
        guard pango_layout_get_unknown_glyphs_count(pango) > 0 else { return [] }
        var missing: [Unicode.Scalar] = []
        let iter = pango_layout_get_iter(pango)
        defer { pango_layout_iter_free(iter) }
        let flag = cutline_pango_glyph_unknown_flag()
        repeat {
            guard let run = pango_layout_iter_get_run_readonly(iter), let glyphs = run.pointee.glyphs else { continue }
            for index in 0..<Int(glyphs.pointee.num_glyphs) {
                let glyph = glyphs.pointee.glyphs[index].glyph
                guard glyph & flag != 0, let scalar = Unicode.Scalar(glyph & ~flag) else { continue }
                if TextPreflight.needsGlyph(scalar), !missing.contains(scalar) { missing.append(scalar) }
            }
        } while pango_layout_iter_next_run(iter) != 0
        return missing
    }

    /// Box, shadow, outline, then the text itself, with the layout's origin `bleed` pixels in.
    func draw(on cr: OpaquePointer) {
        let style = layout.style
        let origin = layout.bleed
        if let box = style.boxColor {
            let padding = layout.padding
            let radius = min(max(0, style.boxRadius) * layout.fontPixels, layout.fontPixels)
            let iter = pango_layout_get_iter(pango)
            repeat {
                var ink = PangoRectangle()
                var logical = PangoRectangle()
                pango_layout_iter_get_line_extents(iter, &ink, &logical)
                guard logical.width > 0 else { continue }
                roundedRectangle(
                    cr, x: origin + Double(logical.x) / scale - padding, y: origin + Double(logical.y) / scale - padding,
                    width: Double(logical.width) / scale + 2 * padding, height: Double(logical.height) / scale + 2 * padding,
                    radius: radius
                )
            } while pango_layout_iter_next_line(iter) != 0
            pango_layout_iter_free(iter)
            // One fill for all the lines' boxes: where they overlap the box is not painted twice.
            cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING)
            setSource(cr, box)
            cairo_fill(cr)
        }
        if layout.shadowPixels > 0 {
            cairo_move_to(cr, origin + layout.shadowPixels, origin + layout.shadowPixels)
            pango_cairo_layout_path(cr, pango)
            setSource(cr, style.shadowColor)
            cairo_fill(cr)
        }
        if layout.outlinePixels > 0 {
            cairo_move_to(cr, origin, origin)
            pango_cairo_layout_path(cr, pango)
            cairo_set_line_width(cr, 2 * layout.outlinePixels)
            cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
            setSource(cr, style.outlineColor)
            cairo_stroke(cr)
        }
        cairo_move_to(cr, origin, origin)
        setSource(cr, style.textColor)
        pango_cairo_show_layout(cr, pango)
    }

    private func setSource(_ cr: OpaquePointer, _ color: OverlayStyle.Color) {
        cairo_set_source_rgba(cr, Double(color.red) / 255, Double(color.green) / 255, Double(color.blue) / 255, min(1, max(0, color.opacity)))
    }

    private func roundedRectangle(_ cr: OpaquePointer, x: Double, y: Double, width: Double, height: Double, radius: Double) {
        let r = min(radius, width / 2, height / 2)
        cairo_new_sub_path(cr)
        cairo_arc(cr, x + width - r, y + r, r, -.pi / 2, 0)
        cairo_arc(cr, x + width - r, y + height - r, r, 0, .pi / 2)
        cairo_arc(cr, x + r, y + height - r, r, .pi / 2, .pi)
        cairo_arc(cr, x + r, y + r, r, .pi, 3 * .pi / 2)
        cairo_close_path(cr)
    }
}

/// The font families installed on this machine, as Pango (and so the renderer) sees them.
public enum FontCatalog {
    public static func families() -> [String] {
        let fontMap = pango_cairo_font_map_new()!
        defer { cutline_g_object_unref(UnsafeMutableRawPointer(fontMap)) }
        var list: UnsafeMutablePointer<UnsafeMutablePointer<PangoFontFamily>?>?
        var count: Int32 = 0
        pango_font_map_list_families(fontMap, &list, &count)
        defer { g_free(list) }
        guard let list else { return [] }
        return (0..<Int(count)).compactMap { list[$0].flatMap { pango_font_family_get_name($0) }.map { String(cString: $0) } }.sorted()
    }
}
