// What is checked of an image file before and while it is decoded: its size
// against a pixel limit (from the header where the format allows), and a
// JPEG's data, which libjpeg would otherwise repair silently (a damaged or
// truncated file comes out partly gray). Used by colorize and, for damaged
// JPEG data, by colorize-train.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <opencv2/core.hpp>

#include "colorize/error.h"

namespace colorize::cli {

/// The colorize program's default pixel limit, in megapixels.
inline constexpr double kDefaultMaxMegapixels = 300;
/// Longest side accepted, in pixels, whatever the pixel limit (the largest
/// a JPEG can be; it also bounds the memory of one row).
inline constexpr int kMaxSide = 65535;

struct ReadLimits {
  /// Most pixels (width x height) accepted; 0 = no size limit at all.
  int64_t max_pixels = 0;
  /// Damaged JPEG data is accepted (libjpeg fills in what is missing)
  /// instead of being an error.
  bool accept_corrupt = false;
};

/// Damaged JPEG data: libjpeg reported corrupt or missing data.
class CorruptJpeg : public ImageError {
 public:
  using ImageError::ImageError;
};

/// A picture of more pixels than ReadLimits::max_pixels.
class TooLarge : public ImageError {
 public:
  using ImageError::ImageError;
};

/// Throws TooLarge when `size` has more than limits.max_pixels pixels
/// ("65000x65000 pixels (4225 megapixels) is more than the limit of 300
/// megapixels"), ImageError when a side is over kMaxSide. Does nothing
/// when max_pixels is 0.
void check_size(cv::Size size, const ReadLimits &limits);

/// True when the file starts like a JPEG (FF D8 FF), whatever its name.
bool looks_like_jpeg(const std::string &path);

/// Width and height from a PNG file's IHDR chunk; nullopt when the file
/// does not start like a PNG.
std::optional<cv::Size> png_size(const std::string &path);

/// Checks what can be checked before a full decode: a JPEG (by content) is
/// read through with libjpeg at the smallest DCT scale (see check_jpeg()),
/// a PNG's size is read from its header. Returns libjpeg's first warning
/// when damaged JPEG data was accepted, else "". Throws CorruptJpeg,
/// TooLarge or ImageError; messages do not repeat `path`.
std::string check_before_decoding(const std::string &path,
                                  const ReadLimits &limits);

}  // namespace colorize::cli
