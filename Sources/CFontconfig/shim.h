// fontconfig and FreeType, for the text pre-flight (which font draws each character, how wide a line is).
// No logic lives here.
#ifndef CUTLINE_CFONTCONFIG_SHIM_H
#define CUTLINE_CFONTCONFIG_SHIM_H

#include <fontconfig/fontconfig.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_ADVANCES_H

// FcChar8 strings are unsigned char; these keep the casts out of Swift.
static inline const char *cutline_fc_file(FcPattern *pattern) {
    FcChar8 *file = NULL;
    return FcPatternGetString(pattern, FC_FILE, 0, &file) == FcResultMatch ? (const char *)file : NULL;
}
static inline int cutline_fc_index(FcPattern *pattern) {
    int index = 0;
    FcPatternGetInteger(pattern, FC_INDEX, 0, &index);
    return index;
}
static inline FcCharSet *cutline_fc_charset(FcPattern *pattern) {
    FcCharSet *set = NULL;
    return FcPatternGetCharSet(pattern, FC_CHARSET, 0, &set) == FcResultMatch ? set : NULL;
}
static inline FcPattern *cutline_fc_family_pattern(const char *family) {
    return FcPatternBuild(NULL, FC_FAMILY, FcTypeString, (const FcChar8 *)family, (char *)0);
}
static inline FT_Int32 cutline_ft_load_no_hinting(void) { return FT_LOAD_NO_HINTING; }

#endif
