// Strict JPEG reading with libjpeg. See jpeg_decoder.h.
#include "jpeg_decoder.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <glib.h>
#include <jerror.h>

namespace colorize::cli {
namespace {

void on_error(j_common_ptr cinfo) {
  auto *err = reinterpret_cast<ErrorManager *>(cinfo->err);
  cinfo->err->format_message(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

/// libjpeg's warnings (message level -1) all report damaged data (a
/// truncated file, a scan cut short by a marker, bad Huffman or arithmetic
/// codes, extraneous bytes, an inconsistent progression, invalid SOS
/// parameters...) except these three, which leave the pixels intact.
bool is_corrupt_data_warning(int code) {
  return code != JWRN_ADOBE_XFORM && code != JWRN_JFIF_MAJOR &&
         code != JWRN_TOO_MUCH_DATA;
}

/// libjpeg goes on after a warning and makes up what is missing: when
/// strict, a corrupt-data warning is an error instead; otherwise the first
/// one is kept for the caller to report. Trace messages (level > 0) are
/// dropped.
void on_message(j_common_ptr cinfo, int level) {
  auto *err = reinterpret_cast<ErrorManager *>(cinfo->err);
  if (level >= 0 || !is_corrupt_data_warning(cinfo->err->msg_code)) return;
  if (err->strict) {
    err->corrupt = true;
    on_error(cinfo);
  }
  if (err->warning[0] == '\0') cinfo->err->format_message(cinfo, err->warning);
}

}  // namespace

void install(ErrorManager &err, bool strict) {
  jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  err.pub.emit_message = on_message;
  err.message[0] = '\0';
  err.warning[0] = '\0';
  err.strict = strict;
  err.corrupt = false;
}

Decoder::Decoder(const std::string &path, bool keep_markers,
                 const ReadLimits &limits)
    : file_(std::fopen(path.c_str(), "rb"), &std::fclose) {
  if (!file_) throw ImageError(g_strerror(errno));
  cinfo_.err = &err_.pub;
  install(err_, !limits.accept_corrupt);
  guarded(err_, "", [&] { jpeg_create_decompress(&cinfo_); });
  handle_.created = true;
  guarded(err_, "", [&] {
    jpeg_stdio_src(&cinfo_, file_.get());
    if (keep_markers) {
      jpeg_save_markers(&cinfo_, JPEG_COM, 0xFFFF);
      for (int m = 0; m < 16; ++m)
        jpeg_save_markers(&cinfo_, JPEG_APP0 + m, 0xFFFF);
    }
    jpeg_read_header(&cinfo_, TRUE);
  });
  check_size(size(), limits);
  gray_ = cinfo_.num_components == 1;
  cmyk_ = cinfo_.jpeg_color_space == JCS_CMYK ||
          cinfo_.jpeg_color_space == JCS_YCCK;
  cinfo_.out_color_space = gray_ ? JCS_GRAYSCALE : cmyk_ ? JCS_CMYK : JCS_RGB;
}

void Decoder::choose_scale(cv::Size at_least) {
  guarded(err_, "", [&] {
    for (unsigned denom = 8; denom >= 1; denom /= 2) {
      cinfo_.scale_num = 1;
      cinfo_.scale_denom = denom;
      jpeg_calc_output_dimensions(&cinfo_);
      if (int(cinfo_.output_width) >= at_least.width &&
          int(cinfo_.output_height) >= at_least.height)
        break;
    }
  });
}

void Decoder::start() {
  guarded(err_, "", [&] { jpeg_start_decompress(&cinfo_); });
}

void Decoder::read(cv::Mat &rows) {
  guarded(err_, "", [&] {
    int done = 0;
    while (done < rows.rows) {
      JSAMPROW ptrs[8];
      const int n = std::min(8, rows.rows - done);
      for (int i = 0; i < n; ++i) ptrs[i] = rows.ptr<JSAMPLE>(done + i);
      done += int(jpeg_read_scanlines(&cinfo_, ptrs, JDIMENSION(n)));
    }
  });
}

void Decoder::finish() {
  guarded(err_, "", [&] { jpeg_finish_decompress(&cinfo_); });
}

std::string check_jpeg(const std::string &path, const ReadLimits &limits) {
  Decoder dec(path, false, limits);
  dec.choose_scale({1, 1});
  dec.start();
  const auto &c = dec.cinfo();
  const int height = int(c.output_height);
  cv::Mat rows(std::min(height, 64), int(c.output_width),
               CV_8UC(c.output_components));
  for (int y = 0; y < height; y += rows.rows) {
    cv::Mat part = rows.rowRange(0, std::min(rows.rows, height - y));
    dec.read(part);
  }
  dec.finish();
  return dec.warning();
}

}  // namespace colorize::cli
