// colorize-strips.h: internal to colorize-host.cpp. Pixel formats for
// GEGL <-> OpenCV, and a GEGL buffer as the image source and sink of core's
// colorize run, which keeps GEGL reads and writes on the calling thread
// (the plug-in's tile traffic with GIMP is not thread-safe).
#pragma once

#include <functional>

#include <gegl.h>
#include <opencv2/core.hpp>

#include "colorize/pipeline.h"
#include "colorize/run.h"

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

// Colorizes job.roi of job.src into job.dst: core's run() with the buffer
// as its image source and the roi's columns as its sink. `*read_scale` gets
// the scale of the reduced read.
void run_job (const colorize::Model &model, colorize::RunOptions options,
              const StripJob &job, const colorize::Progress &progress,
              colorize::RunTimes *times, double *read_scale);

}  // namespace colorize_host
