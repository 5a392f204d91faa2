// colorize-strips.h: internal to colorize-host.cpp. Pixel formats for
// GEGL <-> OpenCV, and phase 2 (apply) over the full-resolution rows:
// a GEGL buffer as the row source and sink of core's strip engine, which
// keeps GEGL reads and writes on the calling thread (the plug-in's tile
// traffic with GIMP is not thread-safe).
#pragma once

#include <functional>

#include <gegl.h>
#include <opencv2/core.hpp>

#include "colorize/pipeline.h"
#include "colorize/strips.h"

namespace colorize_host {

struct PixelFormat
{
  const Babl *babl;
  int cv_depth;   // CV_8U, CV_16U or CV_32F
  int channels;
};

// The format `src` is read in: its own colour model family (gray or RGB),
// perceptual TRC, its own alpha, integer precision only where that loses
// nothing (perceptual u8/u16); float otherwise.
PixelFormat source_format (const Babl *src);

// The format `dst` is written in: RGB, dst's alpha, the source precision.
PixelFormat target_format (const PixelFormat &src, const Babl *dst);

struct StripJob
{
  GeglBuffer *src;            // read: full-width rows of src's extent
  PixelFormat in_format;
  GeglBuffer *dst;            // written: roi columns only
  PixelFormat out_format;
  GeglBuffer *mask;           // optional: multiplies the written alpha
  int mask_dx, mask_dy;       // mask coordinates = buffer + (dx, dy)
  GeglRectangle roi;
  int strip_rows;
};

// Applies `map` to the rows of job.roi. `report` gets the fraction of rows
// done after each strip and may throw (e.g. colorize::Cancelled) to stop.
void apply_strips (const colorize::AbMap &map,
                   const colorize::ApplyOptions &options,
                   const StripJob &job,
                   const std::function<void (double)> &report,
                   colorize::StripTimes *times);

}  // namespace colorize_host
