// Typed wrappers for FFmpeg macros Swift cannot import. No logic lives here.
#ifndef CUTLINE_CFFMPEG_SHIM_H
#define CUTLINE_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersrc.h>
#include <libavfilter/buffersink.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/opt.h>
#include <libavutil/channel_layout.h>
#include <libavutil/imgutils.h>
#include <libavutil/audio_fifo.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>

static inline int cutline_averror(int errnum) { return AVERROR(errnum); }
static inline int cutline_averror_eof(void) { return AVERROR_EOF; }
static inline int cutline_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int cutline_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int cutline_averror_exit(void) { return AVERROR_EXIT; }
static inline int64_t cutline_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int cutline_av_time_base(void) { return AV_TIME_BASE; }
static inline AVRational cutline_av_time_base_q(void) { return AV_TIME_BASE_Q; }

#endif
