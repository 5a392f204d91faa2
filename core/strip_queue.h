// Bounded hand-over of image strips between a reading thread and the
// thread that colorizes and writes them, with buffer reuse (strips.cpp).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

namespace colorize::detail {

/// Decoded strips travel from the decoding thread to the colorizing one
/// through this bounded queue; their buffers travel back to be reused.
class StripQueue {
 public:
  struct Strip {
    cv::Mat buffer;  ///< strip_rows x width, only `rows` of them used
    int rows = 0;
    int y0 = 0;
    bool view = false;  ///< `buffer` is a view of the source's own memory
  };

  explicit StripQueue(std::size_t capacity) : capacity_(capacity) {}

  /// Producer: false when the consumer has stopped.
  bool push(Strip strip) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return full_.size() < capacity_ || closed_; });
    if (closed_) return false;
    full_.push_back(std::move(strip));
    changed_.notify_all();
    return true;
  }
  /// Producer: a recycled buffer, or an empty Mat.
  cv::Mat take_buffer() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.empty()) return {};
    cv::Mat b = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  /// Producer: no more strips; `error` is what stopped it, if anything.
  void finish(std::exception_ptr error) {
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
    error_ = std::move(error);
    changed_.notify_all();
  }
  /// Consumer: false when every strip has been taken.
  bool pop(Strip &strip) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !full_.empty() || finished_; });
    if (full_.empty()) return false;
    strip = std::move(full_.front());
    full_.pop_front();
    changed_.notify_all();
    return true;
  }
  void recycle(cv::Mat buffer) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(buffer));
  }
  /// Consumer: stop the producer.
  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }
  std::exception_ptr error() {
    std::lock_guard<std::mutex> lock(mutex_);
    return error_;
  }

 private:
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Strip> full_;
  std::vector<cv::Mat> free_;
  bool finished_ = false;
  bool closed_ = false;
  std::exception_ptr error_;
};

}  // namespace colorize::detail
