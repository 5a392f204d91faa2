// Simulated colour hints: see hints.h.
#include "hints.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace colorize::train {

int random_hint_count(std::mt19937_64 &rng) {
  std::geometric_distribution<int> count(1.0 / 8.0);
  return std::min(count(rng), kMaxHints);
}

namespace {

/// One hint patch on a w x h grid: 1-9 pixels square, its centre drawn
/// from a normal distribution around the middle, kept inside.
cv::Rect random_patch(int w, int h, std::mt19937_64 &rng) {
  std::uniform_int_distribution<int> side(1, 9);
  std::normal_distribution<double> cx(w / 2.0, w / 4.0), cy(h / 2.0, h / 4.0);
  const int s = std::min({side(rng), w, h});
  const int x = std::clamp(int(std::lround(cx(rng))) - s / 2, 0, w - s);
  const int y = std::clamp(int(std::lround(cy(rng))) - s / 2, 0, h - s);
  return {x, y, s, s};
}

}  // namespace

void add_hints(Example &e, int count, std::mt19937_64 &rng) {
  if (e.x.type() != CV_32FC1 || e.y.type() != CV_32FC2 || e.x.size() != e.y.size())
    throw std::invalid_argument("add_hints: needs an example of L and a,b of one size");
  cv::Mat hint_ab = cv::Mat::zeros(e.x.size(), CV_32FC2);
  cv::Mat mask = cv::Mat::zeros(e.x.size(), CV_32FC1);
  for (int k = 0; k < count; ++k) {
    const cv::Rect patch = random_patch(e.x.cols, e.x.rows, rng);
    const cv::Scalar mean = cv::mean(e.y(patch));
    hint_ab(patch).setTo(cv::Scalar(mean[0], mean[1]));
    mask(patch).setTo(1.0);
  }
  std::vector<cv::Mat> planes{e.x};
  std::vector<cv::Mat> ab;
  cv::split(hint_ab, ab);
  planes.insert(planes.end(), ab.begin(), ab.end());
  planes.push_back(mask);
  cv::merge(planes, e.x);
}

cv::Mat hint_picture(const cv::Mat &bgr, cv::Size working, int count, std::mt19937_64 &rng) {
  if (bgr.type() != CV_8UC3 || bgr.empty() || working.width <= 0 || working.height <= 0)
    throw std::invalid_argument("hint_picture: needs an 8-bit BGR photo and a working size");
  cv::Mat out = cv::Mat::zeros(bgr.size(), CV_8UC4);
  const double fx = double(bgr.cols) / working.width, fy = double(bgr.rows) / working.height;
  for (int k = 0; k < count; ++k) {
    const cv::Rect cells = random_patch(working.width, working.height, rng);
    // The photo's pixels whose cell falls inside the patch.
    const int x0 = int(std::ceil(cells.x * fx)), y0 = int(std::ceil(cells.y * fy));
    const int x1 = std::min(bgr.cols, int(std::ceil(cells.br().x * fx)));
    const int y1 = std::min(bgr.rows, int(std::ceil(cells.br().y * fy)));
    if (x1 <= x0 || y1 <= y0) continue;
    const cv::Rect r(x0, y0, x1 - x0, y1 - y0);
    cv::Mat patch;
    cv::cvtColor(bgr(r), patch, cv::COLOR_BGR2BGRA);
    patch.copyTo(out(r));
  }
  return out;
}

}  // namespace colorize::train
