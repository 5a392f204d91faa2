// One file through the colorizer: pick the reader/writer for its format,
// write to a temporary file beside the destination, rename it into place.
#pragma once

#include <chrono>
#include <string>

#include "colorize/pipeline.h"
#include "colorize/run.h"
#include "jpeg_stream.h"
#include "phase.h"

namespace colorize::cli {

struct JobSettings {
  InferOptions infer;
  ApplyOptions apply;
  /// JPEG and WebP output quality, 1..100; 0 = a JPEG input's own (JPEG to
  /// JPEG), else 92.
  int quality = 0;
  int strip_pixels = 1 << 20;    ///< pixels per strip in the apply phase
  /// Pixel limit and damaged JPEG data, for every format (see image_check.h).
  ReadLimits limits;
  /// Told as each file enters a phase (reading, model pass, ...).
  PhaseReport phase;
};

/// Core's run() of `source` into `sink` with the job's settings, the
/// phases reported as they start; `in_place`: see StripOptions. Returns
/// when the full-resolution pass began.
std::chrono::steady_clock::time_point run_job(const Model &model, ImageSource &source, RowSink &sink,
                                              const JobSettings &settings, const Progress &progress,
                                              bool in_place);

/// True for the extensions libjpeg reads (.jpg, .jpeg, .jpe, .jfif).
bool is_jpeg_name(const std::string &path);
/// True for the file extensions of the image formats OpenCV can read.
bool is_image_name(const std::string &path);

/// Reads a hint image (--hints): any format OpenCV reads, with an alpha
/// channel, as B,G,R,A (16-bit kept). Throws ImageError naming the problem
/// (not an image, no alpha channel).
cv::Mat read_hint_image(const std::string &path);

/// Colorizes `input` into `output` (they may be the same file: in place).
/// JPEG -> JPEG is streamed (see jpeg_stream.h), and so are PNG, TIFF and
/// WebP to one of them when libvips takes the file (see vips_stream.h);
/// anything else goes through cv::imread / cv::imencode. Bit depth and
/// alpha are kept where the output format can hold them. The result is written to a temporary file in the
/// output's folder and renamed over `output` only when complete (a symbolic
/// link's target is replaced, the link kept; see output_file.h); on any
/// error the temporary file is removed and `output` is untouched. A write
/// that fails says why ("cannot write <output>: No space left on device"),
/// and so does an input that cannot be opened ("cannot read it:
/// Permission denied").
/// Before decoding, a JPEG (by content, whatever the format it goes
/// through) is checked for damaged data and JPEG and PNG sizes against the
/// pixel limit; other formats are checked once decoded.
/// Throws colorize::Error (CorruptJpeg and TooLarge among them) or
/// cv::Exception with a message that does not repeat the input's name.
/// Returns the time spent in each phase and any accepted warning.
JobResult colorize_file(const Model &model, const std::string &input,
                        const std::string &output, const JobSettings &settings,
                        const Progress &progress);

}  // namespace colorize::cli
