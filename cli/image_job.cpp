// See image_job.h.
#include "image_job.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include <glib.h>
#include <glib/gstdio.h>
#include <opencv2/imgcodecs.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "colorize/error.h"
#include "jpeg_stream.h"

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

std::string errno_message(const std::string &what) {
  return what + ": " + g_strerror(errno);
}

/// The temporary file: created beside the destination (so the final rename
/// stays on one file system), removed unless commit() renamed it.
class TempFile {
 public:
  TempFile(const std::string &destination, mode_t mode) {
    char *dir = g_path_get_dirname(destination.c_str());
    char *base = g_path_get_basename(destination.c_str());
    // Keep the extension last: cv::imwrite chooses the format from it.
    const std::string ext = lower_extension(base);
    std::string tmpl = std::string(dir) + G_DIR_SEPARATOR_S + "." + base +
                       ".XXXXXX" + (ext.empty() ? "" : "." + ext);
    g_free(dir);
    g_free(base);
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    fd_ = g_mkstemp_full(buf.data(), O_RDWR, mode);
    if (fd_ < 0)
      throw ImageError(errno_message("cannot create a temporary file beside " +
                                     destination));
    path_ = buf.data();
    // The umask applies to `mode` at creation; in-place results want the
    // input's exact mode. On failure the file simply stays private.
    (void)fchmod(fd_, mode);
  }
  ~TempFile() {
    if (fd_ >= 0) close(fd_);
    if (!committed_ && !path_.empty()) g_unlink(path_.c_str());
  }
  TempFile(const TempFile &) = delete;
  TempFile &operator=(const TempFile &) = delete;

  const std::string &path() const { return path_; }
  /// Hands the descriptor over (the caller closes it).
  int release_fd() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void commit(const std::string &destination) {
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
    if (g_rename(path_.c_str(), destination.c_str()) != 0)
      throw ImageError(errno_message("cannot rename the result to " +
                                     destination));
    committed_ = true;
  }

 private:
  int fd_ = -1;
  std::string path_;
  bool committed_ = false;
};

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
                           const std::string &temp, const std::string &ext,
                           const JobSettings &settings,
                           const Progress &progress) {
  using Clock = std::chrono::steady_clock;
  JobResult times;
  auto t0 = Clock::now();
  times.warning = check_before_decoding(input, settings.limits);
  // JPEG input written to another format loses its EXIF data, so apply
  // the EXIF orientation now (IMREAD_COLOR does; JPEG has no alpha or
  // depth to lose). Everything else is read exactly as stored.
  cv::Mat image = read_image(
      input, is_jpeg_name(input) ? cv::IMREAD_COLOR : cv::IMREAD_UNCHANGED);
  check_size(image.size(), settings.limits);
  InferOptions infer_options = settings.infer;
  infer_options.order = ChannelOrder::Bgr;
  const AbMap map = infer(model, image, image.size(), infer_options);
  times.infer = std::chrono::duration<double>(Clock::now() - t0).count();
  t0 = Clock::now();

  ApplyOptions apply_options = settings.apply;
  apply_options.order = ChannelOrder::Bgr;
  // Colour images are colorized in place; gray ones need a colour buffer.
  cv::Mat result = image;
  if (image.channels() < 3)
    result.create(image.size(),
                  CV_MAKETYPE(image.depth(), image.channels() == 2 ? 4 : 3));
  const int strip_rows =
      std::max(8, settings.strip_pixels / std::max(1, image.cols));
  for (int y = 0; y < image.rows; y += strip_rows) {
    const int n = std::min(strip_rows, image.rows - y);
    const cv::Mat in = image.rowRange(y, y + n);
    cv::Mat dst = result.rowRange(y, y + n);
    cv::Mat out = dst;
    apply(map, in, y, out, apply_options);
    if (out.data != dst.data) out.copyTo(dst);
    if (progress && !progress(double(y + n) / image.rows)) throw Cancelled();
  }
  image.release();

  std::vector<int> params;
  const int quality = settings.quality > 0 ? settings.quality : 92;
  if (one_of(ext, {"jpg", "jpeg", "jpe", "jfif"}))
    params = {cv::IMWRITE_JPEG_QUALITY, quality};
  else if (ext == "webp")
    params = {cv::IMWRITE_WEBP_QUALITY, quality};
  if (!cv::imwrite(temp, fit_depth(result, ext), params))
    throw ImageError("OpenCV cannot write the output format ." + ext);
  times.apply = std::chrono::duration<double>(Clock::now() - t0).count();
  return times;
}

}  // namespace

bool is_jpeg_name(const std::string &path) {
  return one_of(lower_extension(path), {"jpg", "jpeg", "jpe", "jfif"});
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
  TempFile temp(output, output_mode(input, output));
  JobResult times;
  if (is_jpeg_name(input) && is_jpeg_name(output)) {
    std::FILE *file = fdopen(temp.release_fd(), "wb");
    if (!file) throw ImageError(errno_message("cannot write " + temp.path()));
    std::unique_ptr<std::FILE, int (*)(std::FILE *)> guard(file, &std::fclose);
    JpegSettings js;
    js.infer = settings.infer;
    js.apply = settings.apply;
    js.quality = settings.quality;
    js.strip_pixels = settings.strip_pixels;
    js.limits = settings.limits;
    times = colorize_jpeg(model, input, file, js, progress);
    if (std::fflush(file) != 0 || std::ferror(file))
      throw ImageError(errno_message("cannot write " + temp.path()));
    if (std::fclose(guard.release()) != 0)
      throw ImageError(errno_message("cannot write " + temp.path()));
  } else {
    times = colorize_generic(model, input, temp.path(), ext, settings,
                             progress);
  }
  temp.commit(output);
  return times;
}

}  // namespace colorize::cli
