// JPEG -> JPEG colorization that never holds the full-resolution picture:
// the infer phase decodes a DCT-downscaled copy (1/2, 1/4 or 1/8), the apply
// phase decodes, colorizes and re-encodes a few strips at a time (core's run:
// decoding and encoding on this thread, colorizing in a worker), copying the
// APP and COM markers (EXIF, ICC, XMP).
#pragma once

#include <cstdio>
#include <string>

#include "colorize/pipeline.h"
#include "image_check.h"
#include "phase.h"

namespace colorize::cli {

struct JpegSettings {
  InferOptions infer;       ///< `order` is ignored (libjpeg gives RGB)
  ApplyOptions apply;       ///< `order` is ignored
  /// libjpeg quality of the output, 1..100; 0 = compress like the input
  /// (its own quantisation tables).
  int quality = 0;
  /// Pixels per strip; rows = strip_pixels / width, so memory does not grow
  /// with the image width.
  int strip_pixels = 1 << 20;
  /// Pixel limit (from the header, before decoding) and damaged data.
  ReadLimits limits;
  /// Told as the file enters each phase (writing is streamed along with
  /// applying; Writing is the end of the file).
  PhaseReport phase;
};

/// How one file went: seconds spent in each phase, and what was accepted.
struct JobResult {
  double infer = 0;  ///< reading the small copy + the model pass
  double apply = 0;  ///< full-resolution decode + apply + encode
  /// libjpeg's first corrupt-data warning when ReadLimits::accept_corrupt
  /// let damaged JPEG data through; empty otherwise.
  std::string warning;
};

/// Colorizes the JPEG file `in_path` into `out` (an open, empty file).
/// Throws CorruptJpeg for damaged or truncated data (unless accepted),
/// TooLarge, ImageError for unreadable or CMYK files (messages do not
/// repeat the file name), Cancelled when `progress` returns false. On error
/// `out` holds garbage: the caller deletes it.
JobResult colorize_jpeg(const Model &model, const std::string &in_path,
                        std::FILE *out, const JpegSettings &settings,
                        const Progress &progress);

}  // namespace colorize::cli
