// Size limits and the checks made before decoding. See image_check.h.
#include "image_check.h"

#include <cstdio>
#include <memory>

#include "jpeg_decoder.h"

namespace colorize::cli {
namespace {

using FilePtr = std::unique_ptr<std::FILE, int (*)(std::FILE *)>;

/// The first `n` bytes of the file; fewer when it is shorter or unreadable.
std::string first_bytes(const std::string &path, size_t n) {
  FilePtr file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return {};
  std::string bytes(n, '\0');
  bytes.resize(std::fread(bytes.data(), 1, n, file.get()));
  return bytes;
}

uint32_t big_endian32(const std::string &bytes, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | uint8_t(bytes[at + i]);
  return v;
}

/// "4225", "300.4", "0.26": no trailing zeros.
std::string megapixels_text(double megapixels) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", megapixels < 10 ? 2 : 1,
                megapixels);
  std::string s = text;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

void check_size(cv::Size size, const ReadLimits &limits) {
  if (limits.max_pixels <= 0) return;
  const std::string dims =
      std::to_string(size.width) + "x" + std::to_string(size.height);
  if (size.width > kMaxSide || size.height > kMaxSide)
    throw ImageError(dims + " pixels: a side of more than " +
                   std::to_string(kMaxSide) + " pixels is not supported");
  const int64_t pixels = int64_t(size.width) * size.height;
  if (pixels > limits.max_pixels)
    throw TooLarge(dims + " pixels (" + megapixels_text(pixels / 1e6) +
                   " megapixels) is more than the limit of " +
                   megapixels_text(limits.max_pixels / 1e6) + " megapixels");
}

bool looks_like_jpeg(const std::string &path) {
  return first_bytes(path, 3) == "\xFF\xD8\xFF";
}

std::optional<cv::Size> png_size(const std::string &path) {
  // Signature (8 bytes), then the IHDR chunk: length (4), "IHDR", width (4),
  // height (4), both big-endian.
  const std::string bytes = first_bytes(path, 24);
  if (bytes.size() < 24 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 ||
      bytes.compare(12, 4, "IHDR") != 0)
    return std::nullopt;
  const uint32_t width = big_endian32(bytes, 16);
  const uint32_t height = big_endian32(bytes, 20);
  // PNG sizes are at most 2^31 - 1; larger ones are OpenCV's to refuse.
  if (width > 0x7FFFFFFFu || height > 0x7FFFFFFFu) return std::nullopt;
  return cv::Size(int(width), int(height));
}

std::string check_before_decoding(const std::string &path,
                                  const ReadLimits &limits) {
  if (looks_like_jpeg(path)) return check_jpeg(path, limits);
  if (const auto size = png_size(path)) check_size(*size, limits);
  return {};
}

}  // namespace colorize::cli
