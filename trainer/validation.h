// Validation during training: fixed centre crops of the validation photos
// scored against their colour originals (metrics.h), and the sample grids
// (rows: real colour / grayscale input / colorized) for fixed validation and
// training photos.
#pragma once

#include <string>
#include <vector>

#include <torch/script.h>

#include "data.h"
#include "metrics.h"
#include "options.h"

namespace colorize::train {

class Validator {
 public:
  Validator(const std::vector<Photo> &train, const std::vector<Photo> &val, const TrainOptions &o);

  /// Scores of a = b = 0 on the validation crops.
  Scores grayscale_baseline() const;
  /// Mean colourfulness of the validation crops themselves.
  double original_colorfulness() const;
  /// Mean scores of the generator (run in eval mode, no gradients).
  Scores score(torch::jit::Module &g, const torch::Device &device) const;
  /// The sample grid image (BGR 8-bit).
  cv::Mat sample_grid(torch::jit::Module &g, const torch::Device &device, const std::string &caption) const;

 private:
  std::vector<cv::Mat> colorize(torch::jit::Module &g, const torch::Device &device,
                                const std::vector<Example> &examples) const;

  std::vector<Example> val_, val_samples_, train_samples_;
  Space space_;
  int batch_;
};

/// Network output for one example (CV_32FC2 normalised a,b or CV_32FC3
/// R,G,B in [-1,1]) joined with the example's own L by core's apply() (as
/// users get it, gamut mapping included) -> BGR 8-bit.
cv::Mat result_bgr8(const cv::Mat &original_bgr8, const cv::Mat &output, Space space);

}  // namespace colorize::train
