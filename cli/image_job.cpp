// See image_job.h.
#include "image_job.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <vector>

#include <glib.h>
#include <glib/gstdio.h>
#include <opencv2/imgcodecs.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "colorize/error.h"
#include "colorize/run.h"
#include "jpeg_stream.h"
#include "output_file.h"
#if COLORIZE_HAVE_VIPS
#include "vips_stream.h"
#endif

namespace colorize::cli {
namespace {

std::string lower_extension(const std::string &path) {
  const auto slash = path.find_last_of('/');
  const auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return {};
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return char(g_ascii_tolower(c)); });
  return ext;
}

bool one_of(const std::string &ext, std::initializer_list<const char *> list) {
  for (const char *e : list)
    if (ext == e) return true;
  return false;
}

/// Throws ImageError saying why `input` cannot be opened for reading
/// ("Permission denied"...), which decoders would only report as "not an
/// image".
void check_readable(const std::string &input) {
  // O_NONBLOCK: a FIFO's writer is not waited for here.
  const int fd = g_open(input.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd >= 0) {
    close(fd);
    return;
  }
  if (errno == ENOENT) throw ImageError("no such file");
  throw ImageError(std::string("cannot read it: ") + g_strerror(errno));
}

/// New files get 0666 minus the umask; in-place results keep the input's.
mode_t output_mode(const std::string &input, const std::string &output) {
  GStatBuf st;
  if (input == output && g_stat(input.c_str(), &st) == 0)
    return st.st_mode & 07777;
  const mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

/// OpenCV's writers convert depths they cannot hold with a plain cast (a
/// 16-bit 1000 becomes 255): rescale to 8 bits ourselves instead.
cv::Mat fit_depth(const cv::Mat &image, const std::string &ext) {
  const bool deep16 = one_of(ext, {"png", "tif", "tiff", "pbm", "pgm", "ppm",
                                   "pnm", "pxm", "jp2"});
  const bool deep32f = one_of(ext, {"tif", "tiff", "exr", "hdr", "pfm"});
  if (image.depth() == CV_8U) return image;
  if (image.depth() == CV_16U && deep16) return image;
  if (image.depth() == CV_32F && deep32f) return image;
  cv::Mat out;
  if (image.depth() == CV_16U)
    image.convertTo(out, CV_8U, 1.0 / 257.0);
  else if (image.depth() == CV_32F && deep16)
    image.convertTo(out, CV_16U, 65535.0);
  else
    image.convertTo(out, CV_8U, image.depth() == CV_32F ? 255.0 : 1.0);
  return out;
}

/// cv::imread with its errors as ImageError; an allocation failure stays a
/// cv::Exception (StsNoMem), which the caller reports as out of memory.
cv::Mat read_image(const std::string &input, int flags) {
  cv::Mat image;
  try {
    image = cv::imread(input, flags);
  } catch (const cv::Exception &e) {
    if (e.code == cv::Error::StsNoMem) throw;
    // OpenCV checks the header's size against limits of its own, read from
    // the environment when the library is loaded.
    if (e.err.find("CV_IO_MAX_IMAGE") != std::string::npos)
      throw ImageError("larger than OpenCV reads (at most 2^30 pixels and "
                       "2^20 pixels a side unless OPENCV_IO_MAX_IMAGE_PIXELS "
                       "or OPENCV_IO_MAX_IMAGE_WIDTH / _HEIGHT say otherwise)");
    throw ImageError("OpenCV cannot read it: " + e.err);
  }
  if (image.empty())
    throw ImageError(g_file_test(input.c_str(), G_FILE_TEST_EXISTS)
                         ? "not an image OpenCV can read, or a corrupt file"
                         : "no such file");
  return image;
}

JobResult colorize_generic(const Model &model, const std::string &input,
                           OutputFile &out, const std::string &ext,
                           const JobSettings &settings,
                           const Progress &progress) {
  using Clock = std::chrono::steady_clock;
  JobResult times;
  auto t0 = Clock::now();
  report_phase(settings.phase, Phase::Reading);
  times.warning = check_before_decoding(input, settings.limits);
  // JPEG input written to another format loses its EXIF data, so apply
  // the EXIF orientation now (IMREAD_COLOR does; JPEG has no alpha or
  // depth to lose). Everything else is read exactly as stored.
  cv::Mat image = read_image(
      input, is_jpeg_name(input) ? cv::IMREAD_COLOR : cv::IMREAD_UNCHANGED);
  check_size(image.size(), settings.limits);
  // Colour images are colorized in place; gray ones need a colour buffer.
  Clock::time_point applying;
  cv::Mat result = image;
  if (image.channels() < 3)
    result.create(image.size(),
                  CV_MAKETYPE(image.depth(), image.channels() == 2 ? 4 : 3));
  {
    MatImageSource source(image, ChannelOrder::Bgr);
    MatRowSink sink(result);
    applying = run_job(model, source, sink, settings, progress, true);
    times.infer = std::chrono::duration<double>(applying - t0).count();
  }
  t0 = applying;
  image.release();

  report_phase(settings.phase, Phase::Writing);
  std::vector<int> params;
  const int quality = settings.quality > 0 ? settings.quality : 92;
  if (one_of(ext, {"jpg", "jpeg", "jpe", "jfif"}))
    params = {cv::IMWRITE_JPEG_QUALITY, quality};
  else if (ext == "webp")
    params = {cv::IMWRITE_WEBP_QUALITY, quality};
  // Encoded in memory, so that a failed write reports its reason.
  std::vector<uchar> bytes;
  if (!cv::imencode("." + ext, fit_depth(result, ext), bytes, params))
    throw ImageError("OpenCV cannot write the output format ." + ext);
  result.release();
  std::fwrite(bytes.data(), 1, bytes.size(), out.stream());
  out.check_written();
  times.apply = std::chrono::duration<double>(Clock::now() - t0).count();
  return times;
}

}  // namespace

std::chrono::steady_clock::time_point run_job(const Model &model, ImageSource &source, RowSink &sink,
                                              const JobSettings &settings, const Progress &progress,
                                              bool in_place) {
  RunOptions options;
  options.infer = settings.infer;
  options.apply = settings.apply;
  options.strips.strip_pixels = settings.strip_pixels;
  options.strips.in_place = in_place;
  options.model_share = 0.0;  // the progress shown is the strips'
  auto applying = std::chrono::steady_clock::now();
  run(model, source, sink, options, progress, nullptr, [&](RunStage stage) {
    if (stage == RunStage::Applying) applying = std::chrono::steady_clock::now();
    if (stage != RunStage::Reading) report_phase(settings.phase, phase_of(stage));
  });
  return applying;
}

bool is_jpeg_name(const std::string &path) {
  return one_of(lower_extension(path), {"jpg", "jpeg", "jpe", "jfif"});
}

cv::Mat read_hint_image(const std::string &path) {
  cv::Mat hints;
  try {
    hints = read_image(path, cv::IMREAD_UNCHANGED);
  } catch (const ImageError &e) {
    throw ImageError("the hint image " + path + ": " + e.what());
  }
  if (hints.channels() != 4)
    throw ImageError("the hint image " + path + " has no alpha channel: hints are the opaque pixels of an "
                     "otherwise transparent image (PNG, TIFF or WebP with alpha)");
  if (hints.depth() != CV_8U && hints.depth() != CV_16U) hints.convertTo(hints, CV_32F);
  return hints;
}

bool is_image_name(const std::string &path) {
  return is_jpeg_name(path) ||
         one_of(lower_extension(path),
                {"png", "tif", "tiff", "webp", "bmp", "dib", "pbm", "pgm",
                 "ppm", "pnm", "pxm", "sr", "ras", "jp2", "exr", "hdr", "pic",
                 "pfm"});
}

JobResult colorize_file(const Model &model, const std::string &input,
                        const std::string &output, const JobSettings &settings,
                        const Progress &progress) {
  const std::string ext = lower_extension(output);
  if (!is_image_name(output))
    throw ImageError("unknown output format for " + output +
                     " (use an image file extension such as .png or .jpg)");
  check_readable(input);
  OutputFile out(output, output_mode(input, output));
  JobResult times;
  try {
    if (is_jpeg_name(input) && is_jpeg_name(output)) {
      JpegSettings js;
      js.infer = settings.infer;
      js.apply = settings.apply;
      js.quality = settings.quality;
      js.strip_pixels = settings.strip_pixels;
      js.limits = settings.limits;
      js.phase = settings.phase;
      times = colorize_jpeg(model, input, out.stream(), js, progress);
#if COLORIZE_HAVE_VIPS
    } else if (vips_takes(input, ext)) {
      times = colorize_vips(model, input, out, ext, settings, progress);
#endif
    } else {
      times = colorize_generic(model, input, out, ext, settings, progress);
    }
  } catch (...) {
    out.check_written();  // a failed write explains the error best
    throw;
  }
  out.commit();
  return times;
}

}  // namespace colorize::cli
