// See colorize/strips.h.
#include "colorize/strips.h"

#include <algorithm>
#include <string>
#include <thread>

#include "colorize/error.h"
#include "strip_queue.h"

namespace colorize {
namespace {

using detail::StripQueue;

/// Reads the source's strips into the queue until the last one or until the
/// consumer closes it; an error ends the queue with that error.
void read_strips(RowSource &source, StripQueue &queue, int strip_rows) {
  try {
    const cv::Size size = source.size();
    for (int y = 0; y < size.height; y += strip_rows) {
      StripQueue::Strip s;
      s.buffer = queue.take_buffer();
      s.rows = std::min(strip_rows, size.height - y);
      s.y0 = y;
      cv::Mat rows = source.read(y, s.rows, s.buffer);
      if (rows.rows != s.rows || rows.cols != size.width || rows.type() != source.type())
        throw Error("an image source returned " + std::to_string(rows.cols) + "x" +
                    std::to_string(rows.rows) + " rows of another type than asked for");
      if (rows.data != s.buffer.data) {
        // A view of the source's memory: it travels as the strip; the
        // engine's buffer goes back to be reused.
        if (!s.buffer.empty()) queue.recycle(std::move(s.buffer));
        s.buffer = rows;
        s.view = true;
      }
      if (!queue.push(std::move(s))) return;
    }
    queue.finish(nullptr);
  } catch (...) {
    queue.finish(std::current_exception());
  }
}

}  // namespace

int strip_height(const StripOptions &options, cv::Size size) {
  if (options.strip_rows < 0 || options.strip_pixels <= 0)
    throw Error("strip height and strip pixels must be positive");
  const int rows = options.strip_rows > 0 ? options.strip_rows
                                          : std::max(8, options.strip_pixels / std::max(1, size.width));
  return std::clamp(rows, 1, std::max(1, size.height));
}

void apply_strips(const AbMap &map, RowSource &source, RowSink &sink,
                  const ApplyOptions &apply_options,
                  const StripOptions &strip_options, const Progress &progress) {
  const cv::Size size = source.size();
  if (size != map.image_size)
    throw Error("the image is " + std::to_string(size.width) + "x" + std::to_string(size.height) +
                " but its a,b map was made for " + std::to_string(map.image_size.width) + "x" +
                std::to_string(map.image_size.height));
  const int strip_rows = strip_height(strip_options, size);
  const int type = source.type();
  const int channels = CV_MAT_CN(type);
  const bool has_alpha = channels == 2 || channels == 4;

  StripQueue queue(2);
  std::thread reader([&] { read_strips(source, queue, strip_rows); });
  // Stops and joins the reader on every way out of this function.
  struct Joiner {
    StripQueue &queue;
    std::thread &thread;
    ~Joiner() {
      queue.close();
      if (thread.joinable()) thread.join();
    }
  } joiner{queue, reader};

  cv::Mat colour;  // the result strip when it cannot replace the input rows
  StripQueue::Strip s;
  while (queue.pop(s)) {
    const cv::Mat in = s.buffer.rowRange(0, s.rows);
    cv::Mat dst;
    if (channels >= 3 && (strip_options.in_place || !s.view)) {
      dst = in;
    } else {
      colour.create(strip_rows, size.width, CV_MAKETYPE(CV_MAT_DEPTH(type), has_alpha ? 4 : 3));
      dst = colour.rowRange(0, s.rows);
    }
    cv::Mat result = dst;
    apply(map, in, s.y0, result, apply_options);
    if (result.data != dst.data) result.copyTo(dst);
    sink.write(s.y0, dst);
    if (!s.view) queue.recycle(std::move(s.buffer));
    s.buffer.release();
    if (progress && !progress(double(s.y0 + s.rows) / size.height)) throw Cancelled();
  }
  if (auto error = queue.error()) std::rethrow_exception(error);
}

}  // namespace colorize
