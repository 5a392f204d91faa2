// What the user sees of a training run: the terminal progress bar (or plain
// lines when stderr is not a terminal), the loss-curve PNG and the sample
// grids, both drawn with OpenCV. No LibTorch here.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "state.h"

namespace colorize::train {

class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool quiet);
  /// During an epoch; `losses` is a short text such as "L1 0.071 G 0.69 D 0.66";
  /// `eta_s` is the estimated time left for the whole run.
  void step(int epoch, int epochs, int step, int steps, double images_per_s,
            const std::string &losses, double eta_s);
  /// End of an epoch (always one full line unless quiet).
  void epoch_done(const EpochStats &e, int epochs, double eta_s);
  /// A line that is always printed (even when quiet), e.g. a warning.
  void message(const std::string &text);
  bool quiet() const { return quiet_; }

 private:
  void clear_bar();
  bool quiet_, tty_;
  bool bar_shown_ = false;
  std::chrono::steady_clock::time_point last_;
};

/// "1h02m" / "3m05s" / "12s".
std::string format_duration(double seconds);

/// Loss curves (L1, G adversarial, D) and validation PSNR over epochs,
/// BGR 8-bit image ready for imwrite.
cv::Mat plot_losses(const std::vector<EpochStats> &history);

/// Grid of images: blocks[b][row][col], each block with a title; rows of a
/// block are labelled by `row_labels`. All images must have the same size.
cv::Mat sample_grid(const std::vector<std::vector<std::vector<cv::Mat>>> &blocks,
                    const std::vector<std::string> &block_titles,
                    const std::vector<std::string> &row_labels, const std::string &caption);

/// cv::imencode by the extension of `path`, then write_file_atomic; throws
/// std::runtime_error naming the file.
void write_image_atomic(const std::string &path, const cv::Mat &image);

}  // namespace colorize::train
