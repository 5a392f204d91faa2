// One colorize run over a picture, for every host: the model pass on a
// reduced read of the whole picture (plan_infer_read() says how much), then
// the strip engine over its full-resolution rows (apply_strips()). Callers
// give an image source and a row sink; the working size, the read size,
// the strips, progress and cancelling are decided here.
#pragma once

#include <functional>

#include <opencv2/core.hpp>

#include "colorize/pipeline.h"
#include "colorize/strips.h"

namespace colorize {

/// A picture: its full-resolution rows (RowSource) and a whole-picture read
/// at a reduced size, which a JPEG decoder serves by DCT scaling, a GEGL
/// buffer by its scale argument and an in-memory picture as it is.
class ImageSource : public RowSource {
 public:
  /// The whole picture, at least `plan.work` in both axes when the picture
  /// is that large, at most about `plan.read`, in a layout infer() takes.
  /// Called once, before any read().
  virtual cv::Mat read_reduced(const InferReadPlan &plan) = 0;
  /// Channel order of the pixels of read_reduced() and read().
  virtual ChannelOrder order() const { return ChannelOrder::Rgb; }
};

/// An in-memory picture: both reads are views of it.
class MatImageSource final : public ImageSource {
 public:
  explicit MatImageSource(const cv::Mat &image, ChannelOrder order = ChannelOrder::Rgb)
      : image_(image), order_(order) {}
  cv::Size size() const override { return image_.size(); }
  int type() const override { return image_.type(); }
  cv::Mat read(int y0, int count, cv::Mat &) override { return image_.rowRange(y0, y0 + count); }
  cv::Mat read_reduced(const InferReadPlan &) override { return image_; }
  ChannelOrder order() const override { return order_; }

 private:
  cv::Mat image_;
  ChannelOrder order_;
};

struct RunOptions {
  InferOptions infer;  ///< its channel order is the source's
  ApplyOptions apply;  ///< its channel order is the source's
  StripOptions strips;
  /// Share of the progress given to the model pass (the rest to the strips).
  double model_share = 0.1;
};

/// Where a run is, for callers that show it.
enum class RunStage { Reading, ModelPass, Applying };

struct RunTimes {
  double reduced_read = 0;  ///< seconds reading the reduced picture
  double infer = 0;         ///< seconds in the model pass (infer())
  StripTimes strips;
};

/// Colorizes `source` into `sink`. `progress` gets 0 at the start,
/// `model_share` after the model pass and then the strips' fraction
/// scaled into the rest; when it returns false, Cancelled is thrown.
/// `stage` (optional) is told each stage as it starts. The options' colour
/// hints are released after the model pass (move them in to free them).
void run(const Model &model, ImageSource &source, RowSink &sink, RunOptions options,
         const Progress &progress = {}, RunTimes *times = nullptr,
         const std::function<void(RunStage)> &stage = {});

}  // namespace colorize
