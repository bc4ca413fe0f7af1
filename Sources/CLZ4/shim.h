#ifndef CLZ4_SHIM_H
#define CLZ4_SHIM_H
#include <lz4.h>
#include <lz4hc.h>
#include <lz4frame.h>

static inline unsigned clz4_frame_version(void) { return LZ4F_VERSION; }
#endif
