// Colour classes for the classification head (Zhang, Isola, Efros, ECCV
// 2016, "Colorful Image Colorization"): the a,b plane quantised on a grid of
// 10 Lab units, keeping the cells that sRGB colours reach; soft-encoded
// targets (each pixel spread over its 5 nearest classes with a Gaussian of
// sigma 5) and class-rebalancing weights from the training data's prior.
// OpenCV only, no LibTorch.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace colorize::train {

class AbBins {
 public:
  static constexpr double kGrid = 10.0;       ///< grid step, Lab units
  static constexpr int kNeighbours = 5;       ///< classes per soft target
  static constexpr double kSigma = 5.0;       ///< soft-encoding Gaussian, Lab units

  /// The in-gamut classes: every grid cell that the a,b of some 8-bit sRGB
  /// colour rounds to (about 300), ordered by (a, b).
  static const AbBins &gamut();

  int size() const { return int(centres_.size()); }
  /// Class centres in Lab units.
  const std::vector<cv::Vec2f> &centres() const { return centres_; }
  /// Index of the class nearest to (a, b).
  int nearest(float a, float b) const;
  /// The kNeighbours nearest classes of (a, b) with normalised Gaussian
  /// weights, nearest first.
  void soft_encode(float a, float b, int32_t *index, float *weight) const;

  /// Class-rebalancing weights (Zhang et al.): the empirical class frequency
  /// `counts` smoothed with a Gaussian of kSigma over the a,b plane, mixed
  /// `uniform_mix` with the uniform distribution, inverted and scaled so that
  /// the expected weight under the smoothed prior is 1.
  std::vector<float> rebalance(const std::vector<double> &counts, double uniform_mix = 0.5) const;

 private:
  AbBins();
  int cell(int ia, int ib) const;  ///< class of grid cell (ia, ib), or -1
  std::vector<cv::Vec2f> centres_;
  std::vector<int> cells_;         ///< (2R+1)^2 grid -> class or -1
  static constexpr int kRadius = 12;  ///< grid cells from -12 to 12 (a,b in [-120, 120])
};

/// Soft targets of an a,b image (CV_32FC2, Lab units): for each pixel,
/// kNeighbours class indices and weights, stored plane by plane
/// (index[k * pixels + p]).
void soft_encode_image(const AbBins &bins, const cv::Mat &ab, int32_t *index, float *weight);

/// Adds the nearest-class counts of an a,b image (CV_32FC2) to `counts`.
void count_classes(const AbBins &bins, const cv::Mat &ab, std::vector<double> &counts);

}  // namespace colorize::train
