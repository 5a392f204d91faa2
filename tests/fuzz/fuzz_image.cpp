// libFuzzer target: what colorize does with an image file before and while
// decoding it (cli/image_check.h, cli/jpeg_decoder.h): the checks before
// decoding under a pixel limit, then, for a JPEG, the strict row-by-row
// decode the CLI streams with, and for a PNG the OpenCV decode it passes on
// to. Errors must be ImageError (CorruptJpeg, TooLarge); nothing else may
// escape or crash.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <opencv2/imgcodecs.hpp>

#include "colorize/error.h"
#include "image_check.h"
#include "jpeg_decoder.h"

namespace {

constexpr int64_t kPixels = 1 << 20;  // keeps each run fast and small

/// The decoders read files: the input goes into an anonymous memory file,
/// named through /proc.
struct MemoryFile {
  int fd = memfd_create("fuzz-image", 0);
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  MemoryFile(const uint8_t *data, size_t size) {
    if (fd < 0 || ftruncate(fd, 0) != 0 || write(fd, data, size) != ssize_t(size)) std::abort();
  }
  ~MemoryFile() { close(fd); }
};

void decode_jpeg_rows(const std::string &path, const colorize::cli::ReadLimits &limits) {
  colorize::cli::Decoder dec(path, true, limits);
  dec.start();
  const auto &c = dec.cinfo();
  cv::Mat rows(16, int(c.output_width), CV_8UC(c.output_components));
  for (int y = 0; y < int(c.output_height); y += rows.rows) {
    cv::Mat part = rows.rowRange(0, std::min(rows.rows, int(c.output_height) - y));
    dec.read(part);
  }
  dec.finish();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  // OpenCV's own limit for the formats whose size colorize cannot read
  // from the header; the environment is read when a decoder is first used.
  setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(kPixels).c_str(), 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MemoryFile file(data, size);
  for (bool accept_corrupt : {false, true}) {
    colorize::cli::ReadLimits limits;
    limits.max_pixels = kPixels;
    limits.accept_corrupt = accept_corrupt;
    try {
      colorize::cli::check_before_decoding(file.path, limits);
      if (colorize::cli::looks_like_jpeg(file.path))
        decode_jpeg_rows(file.path, limits);
      else if (colorize::cli::png_size(file.path))
        cv::imread(file.path, cv::IMREAD_UNCHANGED);
    } catch (const colorize::ImageError &) {
    } catch (const cv::Exception &) {
      // OpenCV's own refusal of a damaged PNG, reported by the CLI as such.
    }
  }
  return 0;
}
