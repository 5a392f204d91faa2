// Reading JPEG files with libjpeg(-turbo), strictly: libjpeg's warnings
// about corrupt data (a truncated file, a scan cut short by a marker, bad
// Huffman codes...) are errors unless ReadLimits::accept_corrupt, and the
// size from the header is checked against the pixel limit before any pixel
// is decoded.
//
// libjpeg reports errors through error_exit, which must not return. It
// longjmp()s back into guarded(), which turns the error into an exception;
// the code run under guarded() only calls libjpeg and touches plain data, so
// no C++ destructor is skipped by the jump.
#pragma once

#include <csetjmp>
#include <cstdio>  // before jpeglib.h, which needs FILE
#include <memory>
#include <string>

#include <jpeglib.h>
#include <opencv2/core.hpp>

#include "image_check.h"

namespace colorize::cli {

struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool strict = false;    ///< corrupt-data warnings are errors
  bool corrupt = false;   ///< the error is such a warning
  char warning[JMSG_LENGTH_MAX];  ///< first warning let through, or ""
};

/// Sets up `err` for a libjpeg object (assign &err.pub to its `err` first).
void install(ErrorManager &err, bool strict);

/// Runs `body` (libjpeg calls only). A libjpeg error becomes CorruptJpeg
/// for corrupt data, else ImageError; the message is "<what>: <libjpeg's
/// text>", or the bare text when `what` is empty.
template <typename F>
void guarded(ErrorManager &err, const std::string &what, F &&body) {
  if (setjmp(err.jump) != 0) {
    const std::string text = err.message;
    if (err.corrupt)
      throw CorruptJpeg((what.empty() ? "" : what + ": ") +
                        "damaged JPEG data (libjpeg: " + text + ")");
    throw ImageError(what.empty() ? text : what + ": " + text);
  }
  body();
}

/// Destroys the libjpeg object even when the constructor of its owner throws.
template <typename Struct, void (*Destroy)(Struct *)>
struct Handle {
  Struct info{};
  bool created = false;
  Handle() = default;
  Handle(const Handle &) = delete;
  Handle &operator=(const Handle &) = delete;
  ~Handle() {
    if (created) Destroy(&info);
  }
};

/// One JPEG file being decoded. Errors do not repeat the path: the caller
/// names the file.
class Decoder {
 public:
  /// Opens the file and reads its header (keeping APP and COM markers when
  /// `keep_markers`); throws TooLarge when its size is over `limits`.
  Decoder(const std::string &path, bool keep_markers, const ReadLimits &limits);
  Decoder(const Decoder &) = delete;
  Decoder &operator=(const Decoder &) = delete;

  jpeg_decompress_struct &cinfo() { return cinfo_; }
  cv::Size size() const {
    return {int(cinfo_.image_width), int(cinfo_.image_height)};
  }
  bool gray() const { return gray_; }
  /// CMYK or YCCK data (decoded as CMYK).
  bool cmyk() const { return cmyk_; }
  /// libjpeg's first warning let through by ReadLimits::accept_corrupt.
  std::string warning() const { return err_.warning; }

  /// Smallest DCT scale (1/8, 1/4, 1/2, 1) whose output covers `at_least`.
  void choose_scale(cv::Size at_least);
  void start();
  /// Reads the next rows.rows scanlines into `rows` (8-bit, 1, 3 or 4
  /// channels as decoded).
  void read(cv::Mat &rows);
  void finish();

 private:
  static void destroy(jpeg_decompress_struct *c) { jpeg_destroy_decompress(c); }

  std::unique_ptr<std::FILE, int (*)(std::FILE *)> file_;
  ErrorManager err_;
  Handle<jpeg_decompress_struct, destroy> handle_;
  jpeg_decompress_struct &cinfo_ = handle_.info;
  bool gray_ = false;
  bool cmyk_ = false;
};

/// Decodes the whole JPEG file at 1/8 scale (every bit of entropy-coded
/// data is read, little is computed): throws CorruptJpeg for damaged data
/// (unless accepted), TooLarge, or ImageError for files libjpeg cannot
/// read. Returns the accepted warning, or "".
std::string check_jpeg(const std::string &path, const ReadLimits &limits);

}  // namespace colorize::cli
