// Colour hints reduced to the network's hint channels: see colorize/hints.h.
#include "colorize/hints.h"

#include <cmath>
#include <string>
#include <vector>

#include "colorize/error.h"

namespace colorize {
namespace {

void check_hints(const cv::Mat &hints) {
  const int depth = hints.depth();
  if (hints.empty() || hints.channels() != 4 || (depth != CV_8U && depth != CV_16U && depth != CV_32F))
    throw ImageError("colour hints must be a non-empty RGBA image (8-bit, 16-bit or float), got " +
                     cv::typeToString(hints.type()) + " " + std::to_string(hints.cols) + "x" +
                     std::to_string(hints.rows));
}

double depth_max(int depth) { return depth == CV_8U ? 255.0 : depth == CV_16U ? 65535.0 : 1.0; }

/// CV_8U mask of the hint pixels: alpha at least half of the depth's
/// maximum (128 for 8 bits, 32768 for 16, 0.5 for float), compared at the
/// picture's own depth, so a full-resolution picture is never copied whole.
cv::Mat hint_mask(const cv::Mat &hints) {
  cv::Mat alpha, mask;
  cv::extractChannel(hints, alpha, 3);
  const double half = hints.depth() == CV_32F ? 0.5 : std::ceil(depth_max(hints.depth()) * 0.5);
  cv::compare(alpha, half, mask, cv::CMP_GE);
  return mask;
}

/// The colour of pixel `p` as float in [0,1] (the picture's channel order).
template <typename T>
cv::Vec3f colour_at(const cv::Mat &hints, cv::Point p, double scale) {
  const cv::Vec<T, 4> &v = hints.at<cv::Vec<T, 4>>(p);
  return cv::Vec3f(float(v[0] * scale), float(v[1] * scale), float(v[2] * scale));
}

/// The hint pixels' colours (float RGB or BGR in [0,1], one row) and where
/// they are.
void collect(const cv::Mat &hints, std::vector<cv::Point> &where, cv::Mat &colours) {
  const cv::Mat mask = hint_mask(hints);
  if (cv::countNonZero(mask) == 0) return;
  cv::findNonZero(mask, where);
  const double scale = 1.0 / depth_max(hints.depth());
  colours.create(1, int(where.size()), CV_32FC3);
  for (size_t i = 0; i < where.size(); ++i) {
    cv::Vec3f &c = colours.at<cv::Vec3f>(0, int(i));
    switch (hints.depth()) {
      case CV_8U: c = colour_at<uchar>(hints, where[i], scale); break;
      case CV_16U: c = colour_at<ushort>(hints, where[i], scale); break;
      default: c = colour_at<float>(hints, where[i], scale); break;
    }
  }
}

}  // namespace

size_t count_hint_pixels(const cv::Mat &hints) {
  check_hints(hints);
  return size_t(cv::countNonZero(hint_mask(hints)));
}

cv::Mat hint_channels(const cv::Mat &hints, cv::Size working, const Normalization &n, ChannelOrder order) {
  check_hints(hints);
  if (working.width <= 0 || working.height <= 0)
    throw ImageError("working size " + std::to_string(working.width) + "x" + std::to_string(working.height) +
                     " is empty");
  cv::Mat out = cv::Mat::zeros(working, CV_32FC3);
  std::vector<cv::Point> where;
  cv::Mat colours;
  collect(hints, where, colours);
  if (where.empty()) return out;
  const cv::Mat lab = rgb_to_lab(colours, order);
  cv::Mat sums = cv::Mat::zeros(working, CV_64FC3);  // a, b, count
  for (size_t i = 0; i < where.size(); ++i) {
    const int cx = int(int64_t(where[i].x) * working.width / hints.cols);
    const int cy = int(int64_t(where[i].y) * working.height / hints.rows);
    const cv::Vec3f &c = lab.at<cv::Vec3f>(0, int(i));
    cv::Vec3d &s = sums.at<cv::Vec3d>(cy, cx);
    s += cv::Vec3d(c[1], c[2], 1.0);
  }
  for (int y = 0; y < working.height; ++y)
    for (int x = 0; x < working.width; ++x) {
      const cv::Vec3d &s = sums.at<cv::Vec3d>(y, x);
      if (s[2] > 0)
        out.at<cv::Vec3f>(y, x) = cv::Vec3f(float(s[0] / s[2] / n.ab_scale), float(s[1] / s[2] / n.ab_scale), 1.0f);
    }
  return out;
}

}  // namespace colorize
