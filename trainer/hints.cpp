// Simulated colour hints: see hints.h.
#include "hints.h"

#include <algorithm>
#include <stdexcept>

namespace colorize::train {

int random_hint_count(std::mt19937_64 &rng) {
  std::geometric_distribution<int> count(1.0 / 8.0);
  return std::min(count(rng), kMaxHints);
}

void add_hints(Example &e, int count, std::mt19937_64 &rng) {
  if (e.x.type() != CV_32FC1 || e.y.type() != CV_32FC2 || e.x.size() != e.y.size())
    throw std::invalid_argument("add_hints: needs an example of L and a,b of one size");
  const int w = e.x.cols, h = e.x.rows;
  cv::Mat hint_ab = cv::Mat::zeros(e.x.size(), CV_32FC2);
  cv::Mat mask = cv::Mat::zeros(e.x.size(), CV_32FC1);
  std::uniform_int_distribution<int> side(1, 9);
  std::normal_distribution<double> cx(w / 2.0, w / 4.0), cy(h / 2.0, h / 4.0);
  for (int k = 0; k < count; ++k) {
    const int s = std::min({side(rng), w, h});
    const int x = std::clamp(int(std::lround(cx(rng))) - s / 2, 0, w - s);
    const int y = std::clamp(int(std::lround(cy(rng))) - s / 2, 0, h - s);
    const cv::Rect patch(x, y, s, s);
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

}  // namespace colorize::train
