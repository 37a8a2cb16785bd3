// SQLite's destructor sentinels are casts Swift cannot import. No logic lives here.
#ifndef CUTLINE_CSQLITE_SHIM_H
#define CUTLINE_CSQLITE_SHIM_H

#include <sqlite3.h>

static inline sqlite3_destructor_type cutline_sqlite_transient(void) { return SQLITE_TRANSIENT; }
static inline sqlite3_destructor_type cutline_sqlite_static(void) { return SQLITE_STATIC; }

#endif
