// See colorize/strips.h.
#include "colorize/strips.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <string>
#include <utility>

#include "colorize/error.h"

namespace colorize {
namespace {

using Clock = std::chrono::steady_clock;

/// One strip in flight, with the buffers it keeps from round to round.
struct Strip {
  int y0 = 0, rows = 0;
  cv::Mat buffer;  ///< the engine's input rows (the source fills them)
  cv::Mat colour;  ///< the engine's output rows, when `in` cannot take them
  cv::Mat in;      ///< the rows read: `buffer`'s or a view of the source's
  cv::Mat out;     ///< the colorized rows
  bool view = false;
};

/// Adds the time from construction to destruction to `*total`.
class Timer {
 public:
  explicit Timer(double *total) : total_(total), start_(Clock::now()) {}
  ~Timer() {
    if (total_) *total_ += std::chrono::duration<double>(Clock::now() - start_).count();
  }

 private:
  double *total_;
  Clock::time_point start_;
};

void read_strip(RowSource &source, int y0, int count, Strip &s) {
  const cv::Size size = source.size();
  s.y0 = y0;
  s.rows = count;
  s.in = source.read(y0, count, s.buffer);
  if (s.in.rows != count || s.in.cols != size.width || s.in.type() != source.type())
    throw Error("an image source returned " + std::to_string(s.in.cols) + "x" + std::to_string(s.in.rows) +
                " rows of type " + std::to_string(s.in.type()) + " when " + std::to_string(size.width) + "x" +
                std::to_string(count) + " of type " + std::to_string(source.type()) + " were asked for");
  s.view = s.buffer.empty() || s.in.datastart != s.buffer.datastart;
}

/// apply() on the strip's rows: into them when they may be overwritten, else
/// into the strip's own colour buffer.
void colorize_strip(const AbMap &map, const ApplyOptions &options, bool in_place, Strip &s) {
  const int channels = s.in.channels();
  cv::Mat dst;
  if (channels >= 3 && (in_place || !s.view)) {
    dst = s.in;
  } else {
    const int type = CV_MAKETYPE(s.in.depth(), channels == 2 || channels == 4 ? 4 : 3);
    if (s.colour.rows < s.rows || s.colour.cols != s.in.cols || s.colour.type() != type)
      s.colour.create(s.rows, s.in.cols, type);
    dst = s.colour.rowRange(0, s.rows);
  }
  cv::Mat result = dst;
  apply(map, s.in, s.y0, result, options);
  if (result.data != dst.data) result.copyTo(dst);
  s.out = dst;
}

}  // namespace

int strip_height(const StripOptions &options, cv::Size size) {
  if (options.strip_rows < 0 || options.strip_pixels <= 0)
    throw Error("strip height and strip pixels must be positive");
  const int rows = options.strip_rows > 0 ? options.strip_rows
                                          : std::max(8, options.strip_pixels / std::max(1, size.width));
  return std::clamp(rows, 1, std::max(1, size.height));
}

cv::Range strip_range(const StripOptions &options, cv::Size size) {
  strip_height(options, size);  // checks the strip options
  const cv::Range range = options.rows == cv::Range::all() ? cv::Range(0, size.height) : options.rows;
  if (range.start < 0 || range.end > size.height || range.start > range.end)
    throw Error("rows " + std::to_string(range.start) + " to " + std::to_string(range.end) +
                " are not rows of a picture " + std::to_string(size.height) + " rows high");
  return range;
}

void apply_strips(const AbMap &map, RowSource &source, RowSink &sink, const ApplyOptions &apply_options,
                  const StripOptions &strip_options, const Progress &progress, StripTimes *times) {
  const cv::Size size = source.size();
  if (size != map.image_size)
    throw Error("the image is " + std::to_string(size.width) + "x" + std::to_string(size.height) +
                " but its a,b map was made for " + std::to_string(map.image_size.width) + "x" +
                std::to_string(map.image_size.height));
  const cv::Range range = strip_range(strip_options, size);
  const int strip_rows = strip_height(strip_options, size);
  auto count_at = [&](int y) { return std::min(strip_rows, range.end - y); };
  double *read_time = times ? &times->read : nullptr, *write_time = times ? &times->write : nullptr;
  double *apply_time = times ? &times->apply : nullptr;

  // Three strips in flight: `next` is read and `done` written on this
  // thread while a worker colorizes `current`.
  Strip current, next, done;
  if (range.empty()) return;
  {
    Timer t(read_time);
    read_strip(source, range.start, count_at(range.start), current);
  }
  while (current.rows > 0) {
    // A future of std::async waits for its task when destroyed, so an
    // error below never leaves the worker running.
    std::future<void> colorizing = std::async(std::launch::async, [&] {
      Timer t(apply_time);  // read by this thread only after get()
      colorize_strip(map, apply_options, strip_options.in_place, current);
    });
    next.rows = 0;
    const int y_next = current.y0 + current.rows;
    if (y_next < range.end) {
      Timer t(read_time);
      read_strip(source, y_next, count_at(y_next), next);
    }
    if (done.rows > 0) {
      Timer t(write_time);
      sink.write(done.y0, done.out);
    }
    colorizing.get();  // rethrows the worker's error
    if (progress && !progress(double(y_next - range.start) / range.size())) throw Cancelled();
    std::swap(done, current);
    std::swap(current, next);
  }
  Timer t(write_time);
  sink.write(done.y0, done.out);
}

}  // namespace colorize
