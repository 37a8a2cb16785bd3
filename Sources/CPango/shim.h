// Pango (layout: HarfBuzz shaping, bidi, line breaking, fontconfig fallback) and Cairo (drawing, colour
// glyphs) for the overlay text. No logic lives here: only what Swift cannot import (macros).
#ifndef CUTLINE_CPANGO_SHIM_H
#define CUTLINE_CPANGO_SHIM_H

#include <pango/pangocairo.h>
#include <cairo.h>

static inline int cutline_pango_scale(void) { return PANGO_SCALE; }
static inline guint32 cutline_pango_glyph_unknown_flag(void) { return PANGO_GLYPH_UNKNOWN_FLAG; }
static inline guint32 cutline_pango_glyph_empty(void) { return PANGO_GLYPH_EMPTY; }
static inline void cutline_g_object_unref(void *object) { g_object_unref(object); }

#endif
