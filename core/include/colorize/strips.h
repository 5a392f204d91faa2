// The apply phase over a whole picture: full-resolution rows come from a
// source top to bottom, are colorized strip by strip (apply()) and go to a
// sink top to bottom. Reading and writing happen on the caller's thread (a
// GEGL buffer's tile traffic with GIMP, a libjpeg decoder and encoder, need
// one thread) while a worker colorizes the strip between them, so
// decoding, colorizing and encoding overlap; memory stays three strips (and
// three colour strips for gray input or view sources), whatever the
// picture's height.
#pragma once

#include <utility>

#include <opencv2/core.hpp>

#include "colorize/pipeline.h"

namespace colorize {

/// Full-resolution rows of a picture, read once, top to bottom.
class RowSource {
 public:
  virtual ~RowSource() = default;
  virtual cv::Size size() const = 0;
  /// OpenCV type of the rows: 8U, 16U or 32F; 1 to 4 channels (gray,
  /// gray + alpha, colour, colour + alpha), as apply() takes them.
  virtual int type() const = 0;
  /// Rows [y0, y0 + count), full width: either a view of the source's own
  /// memory, or the first `count` rows of `buffer`, filled. `buffer` is the
  /// engine's to reuse (strip height x width, type()); when it is empty the
  /// source allocates it (rows_in()). Called in order, on the caller's
  /// thread, while the worker may still be colorizing the strips before:
  /// rows returned as views must stay valid and unchanged until their strip
  /// has been written.
  virtual cv::Mat read(int y0, int count, cv::Mat &buffer) = 0;

 protected:
  /// The first `count` rows of `buffer`, (re)allocated when it cannot hold
  /// them: what read() fills.
  cv::Mat rows_in(cv::Mat &buffer, int count) const {
    const cv::Size s = size();
    if (buffer.rows < count || buffer.cols != s.width || buffer.type() != type())
      buffer.create(count, s.width, type());
    return buffer.rowRange(0, count);
  }
};

/// Where the colorized rows go: 3 channels, or 4 when the source has alpha,
/// of the source's depth. Called in order, on the caller's thread; `rows`
/// is valid only during the call.
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void write(int y0, const cv::Mat &rows) = 0;
};

struct StripOptions {
  /// Rows per strip; 0 = about `strip_pixels` pixels per strip, at least 8
  /// rows.
  int strip_rows = 0;
  int strip_pixels = 1 << 20;
  /// The source's rows may be overwritten with the result when they have
  /// 3 or 4 channels, even when they are views of the source's memory.
  /// (Rows read into the engine's own buffers always may.)
  bool in_place = false;
  /// The rows to colorize (and read, and write); all by default.
  cv::Range rows = cv::Range::all();
};

/// Seconds spent reading and writing (caller's thread) and colorizing
/// (worker), added to what the struct holds.
struct StripTimes {
  double read = 0, apply = 0, write = 0;
};

/// Rows per strip for a picture of `size` (see StripOptions).
int strip_height(const StripOptions &options, cv::Size size);

/// The rows StripOptions::rows names in a picture of `size`; throws Error
/// when they are not rows of it or the strip options are out of range.
cv::Range strip_range(const StripOptions &options, cv::Size size);

/// apply() over the rows of `source` (StripOptions::rows), which must be
/// the size of `map.image_size`. `progress` gets the fraction of the rows
/// colorized; when it returns false, Cancelled is thrown. Errors of the
/// source, of apply() and of the sink (and of `progress`) reach the caller
/// after the worker has stopped.
void apply_strips(const AbMap &map, RowSource &source, RowSink &sink,
                  const ApplyOptions &apply_options,
                  const StripOptions &strip_options = {},
                  const Progress &progress = {}, StripTimes *times = nullptr);

/// The rows of an in-memory picture, as views.
class MatRowSource final : public RowSource {
 public:
  explicit MatRowSource(const cv::Mat &image) : image_(image) {}
  cv::Size size() const override { return image_.size(); }
  int type() const override { return image_.type(); }
  cv::Mat read(int y0, int count, cv::Mat &) override {
    return image_.rowRange(y0, y0 + count);
  }

 private:
  cv::Mat image_;
};

/// Rows copied into an in-memory picture (nothing is copied for rows that
/// already are its own, as after an in-place apply).
class MatRowSink final : public RowSink {
 public:
  explicit MatRowSink(cv::Mat image) : image_(std::move(image)) {}
  void write(int y0, const cv::Mat &rows) override {
    cv::Mat dst = image_.rowRange(y0, y0 + rows.rows);
    if (rows.data != dst.data) rows.copyTo(dst);
  }

 private:
  cv::Mat image_;
};

}  // namespace colorize
