// Colour hints reduced to the network's hint channels: see colorize/hints.h.
#include "colorize/hints.h"

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

/// The hint pixels' colours (float RGB or BGR in [0,1], one row) and where
/// they are.
void collect(const cv::Mat &hints, std::vector<cv::Point> &where, cv::Mat &colours) {
  cv::Mat f;
  hints.convertTo(f, CV_32F, 1.0 / depth_max(hints.depth()));
  std::vector<cv::Vec3f> found;
  for (int y = 0; y < f.rows; ++y) {
    const cv::Vec4f *row = f.ptr<cv::Vec4f>(y);
    for (int x = 0; x < f.cols; ++x)
      if (row[x][3] >= 0.5f) {
        where.emplace_back(x, y);
        found.emplace_back(row[x][0], row[x][1], row[x][2]);
      }
  }
  if (!found.empty()) colours = cv::Mat(found, true).reshape(3, 1);
}

}  // namespace

size_t count_hint_pixels(const cv::Mat &hints) {
  check_hints(hints);
  std::vector<cv::Mat> planes;
  cv::split(hints, planes);
  const double half = depth_max(hints.depth()) * 0.5;
  cv::Mat alpha;
  planes[3].convertTo(alpha, CV_32F);
  return size_t(cv::countNonZero(alpha >= half));
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
