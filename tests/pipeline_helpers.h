// Helpers for the pipeline tests: synthetic pictures and a,b maps, and
// the luminance / alpha checks.
#pragma once

#include <algorithm>
#include <cstdint>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "colorize/color.h"
#include "colorize/pipeline.h"

namespace colorize::testing {

inline double max_of(const cv::Mat &m) {
  double lo, hi;
  cv::minMaxLoc(m.reshape(1), &lo, &hi);
  return hi;
}

/// A smooth random picture with noise, some pure black and pure white
/// patches (where any colour is out of gamut), in any depth and channel
/// count; alpha (if any) is random.
inline cv::Mat test_image(cv::Size size, int depth, int channels, uint64_t seed) {
  cv::RNG rng(seed);
  cv::Mat coarse(std::max(2, size.height / 8), std::max(2, size.width / 8),
                 CV_32FC(channels));
  rng.fill(coarse, cv::RNG::UNIFORM, 0.0, 1.0);
  cv::Mat f;
  cv::resize(coarse, f, size, 0, 0, cv::INTER_LINEAR);
  cv::Mat noise(size, CV_32FC(channels));
  rng.fill(noise, cv::RNG::UNIFORM, -0.05, 0.05);
  f += noise;
  if (size.width >= 8 && size.height >= 8) {
    f(cv::Rect(0, 0, size.width / 4, size.height / 4)).setTo(0.0);
    f(cv::Rect(size.width / 2, size.height / 2, size.width / 4, size.height / 4))
        .setTo(1.0);
  }
  if (channels == 2 || channels == 4) {  // random alpha everywhere
    cv::Mat alpha(size, CV_32FC1);
    rng.fill(alpha, cv::RNG::UNIFORM, 0.0, 1.0);
    const int from_to[] = {0, channels - 1};
    cv::mixChannels(&alpha, 1, &f, 1, from_to, 1);
  }
  cv::min(cv::max(f, 0.0), 1.0, f);
  cv::Mat image;
  const double scale = depth == CV_8U ? 255.0 : depth == CV_16U ? 65535.0 : 1.0;
  f.convertTo(image, depth, scale);
  return image;
}

/// A smooth random a,b map with values up to `amplitude`.
inline AbMap test_map(cv::Size map_size, cv::Size image_size, double amplitude,
               uint64_t seed) {
  cv::Mat coarse(3, 4, CV_32FC2);
  cv::RNG(seed).fill(coarse, cv::RNG::UNIFORM, -amplitude, amplitude);
  AbMap map;
  cv::resize(coarse, map.ab, map_size, 0, 0, cv::INTER_CUBIC);
  map.image_size = image_size;
  return map;
}

inline cv::Mat alpha_of(const cv::Mat &image) {
  cv::Mat alpha;
  cv::extractChannel(image, alpha, image.channels() - 1);
  return alpha;
}

/// Largest |L(out) - L(in)| over the picture.
inline double l_error(const cv::Mat &in, const cv::Mat &out,
               ChannelOrder order = ChannelOrder::Rgb) {
  cv::Mat diff;
  cv::absdiff(luminance(in, order), luminance(out, order), diff);
  return max_of(diff);
}

/// Mean |L(out) - L(in)|.
inline double l_mean_error(const cv::Mat &in, const cv::Mat &out) {
  cv::Mat diff;
  cv::absdiff(luminance(in), luminance(out), diff);
  return cv::mean(diff)[0];
}

/// L tolerance for a depth: the rounding of the output itself (an 8-bit
/// step is up to ~0.4 in L) plus the conversion's own quantisation.
inline double l_tolerance(int depth) {
  return depth == CV_8U ? 1.0 : depth == CV_16U ? 0.03 : 0.02;
}

inline cv::Mat apply_whole(const AbMap &map, const cv::Mat &in,
                    const ApplyOptions &options = {}) {
  cv::Mat out;
  apply(map, in, 0, out, options);
  return out;
}

inline cv::Mat apply_in_strips(const AbMap &map, const cv::Mat &in, int strip,
                        const ApplyOptions &options = {}) {
  const bool alpha = in.channels() == 2 || in.channels() == 4;
  cv::Mat out(in.size(), CV_MAKETYPE(in.depth(), alpha ? 4 : 3));
  for (int y = 0; y < in.rows; y += strip) {
    const int rows = std::min(strip, in.rows - y);
    cv::Mat o = out.rowRange(y, y + rows);
    apply(map, in.rowRange(y, y + rows), y, o, options);
    EXPECT_EQ(o.data, out.ptr(y)) << "apply() must write into the given rows";
  }
  return out;
}

inline bool identical(const cv::Mat &a, const cv::Mat &b) {
  return a.size() == b.size() && a.type() == b.type() &&
         cv::norm(a, b, cv::NORM_INF) == 0.0;
}

}  // namespace colorize::testing
