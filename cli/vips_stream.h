// PNG, TIFF and WebP through libvips, in bounded memory: core's run() reads
// a shrunk copy of the whole picture and then its full-resolution rows from
// libvips' sequential loaders, and the colorized rows go to libvips' savers
// as they come, so neither the picture nor the result is held whole. The
// input's metadata (EXIF, ICC profile, XMP, resolution) is kept.
#pragma once

#include <string>

#include "jpeg_stream.h"
#include "output_file.h"

namespace colorize::cli {

struct JobSettings;

/// Starts libvips for this process (once; later calls do nothing). Throws
/// ImageError when it cannot start.
void start_vips(const char *argv0);

/// True when `input` (by content) is a PNG, TIFF or WebP file whose pixels
/// this path keeps as they are (8 or 16 bits, or float for TIFF; gray or
/// colour, with or without alpha) and the output extension `ext` is one of
/// png, tif, tiff, webp that holds that depth. Everything else goes through
/// OpenCV as before. Never throws: a file libvips cannot read is left to
/// the other path, which reports it.
bool vips_takes(const std::string &input, const std::string &ext);

/// Colorizes `input` into `out` (see vips_takes()). Throws ImageError
/// (messages do not repeat the input's name), TooLarge, or Cancelled when
/// `progress` returns false; on error `out` holds garbage, which the caller
/// deletes.
JobResult colorize_vips(const Model &model, const std::string &input, OutputFile &out, const std::string &ext,
                        const JobSettings &settings, const Progress &progress);

}  // namespace colorize::cli
