// Colour classes: see ab_bins.h.
#include "ab_bins.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "colorize/color.h"

namespace colorize::train {

AbBins::AbBins() : cells_((2 * kRadius + 1) * (2 * kRadius + 1), -1) {
  // Every 8-bit sRGB colour on a 4-step lattice (and the top value), in Lab.
  std::vector<int> levels;
  for (int v = 0; v < 256; v += 4) levels.push_back(v);
  levels.push_back(255);
  const int n = int(levels.size());
  cv::Mat rgb(n * n, n, CV_32FC3);
  for (int r = 0; r < n; ++r)
    for (int g = 0; g < n; ++g)
      for (int b = 0; b < n; ++b)
        rgb.at<cv::Vec3f>(r * n + g, b) = {levels[r] / 255.f, levels[g] / 255.f, levels[b] / 255.f};
  const cv::Mat lab = rgb_to_lab(rgb, ChannelOrder::Rgb);
  std::vector<char> seen(cells_.size(), 0);
  for (int y = 0; y < lab.rows; ++y)
    for (int x = 0; x < lab.cols; ++x) {
      const cv::Vec3f &p = lab.at<cv::Vec3f>(y, x);
      const int ia = int(std::lround(p[1] / kGrid)), ib = int(std::lround(p[2] / kGrid));
      if (std::abs(ia) <= kRadius && std::abs(ib) <= kRadius)
        seen[(ia + kRadius) * (2 * kRadius + 1) + ib + kRadius] = 1;
    }
  for (int ia = -kRadius; ia <= kRadius; ++ia)
    for (int ib = -kRadius; ib <= kRadius; ++ib) {
      const int k = (ia + kRadius) * (2 * kRadius + 1) + ib + kRadius;
      if (!seen[k]) continue;
      cells_[k] = int(centres_.size());
      centres_.push_back({float(ia * kGrid), float(ib * kGrid)});
    }
}

const AbBins &AbBins::gamut() {
  static const AbBins bins;
  return bins;
}

int AbBins::cell(int ia, int ib) const {
  if (std::abs(ia) > kRadius || std::abs(ib) > kRadius) return -1;
  return cells_[(ia + kRadius) * (2 * kRadius + 1) + ib + kRadius];
}

int AbBins::nearest(float a, float b) const {
  // The grid point (a, b) rounds to is the nearest class when it is one
  // (ties between two grid points go to the full search, like soft_encode).
  const float fa = a / float(kGrid), fb = b / float(kGrid);
  if (std::abs(fa - std::round(fa)) != 0.5f && std::abs(fb - std::round(fb)) != 0.5f)
    if (const int c = cell(int(std::lround(fa)), int(std::lround(fb))); c >= 0) return c;
  int32_t index[kNeighbours];
  float weight[kNeighbours];
  soft_encode(a, b, index, weight);
  return index[0];
}

void AbBins::soft_encode(float a, float b, int32_t *index, float *weight) const {
  // Any class outside the 4 x 4 cells around (a, b) is at least one grid
  // step away, so when the 5 nearest inside lie within that distance they
  // are the 5 nearest; otherwise (at the edge of the gamut) search them all.
  thread_local std::vector<std::pair<float, int>> near;
  near.clear();
  auto add = [&](int c) {
    const float da = a - centres_[c][0], db = b - centres_[c][1];
    near.push_back({da * da + db * db, c});
  };
  const int a0 = int(std::floor(a / kGrid)), b0 = int(std::floor(b / kGrid));
  for (int ia = a0 - 1; ia <= a0 + 2; ++ia)
    for (int ib = b0 - 1; ib <= b0 + 2; ++ib)
      if (const int c = cell(ia, ib); c >= 0) add(c);
  auto kth = [&] {
    const int k = std::min<int>(int(near.size()), kNeighbours);
    std::partial_sort(near.begin(), near.begin() + k, near.end());
    return k;
  };
  int k = kth();
  if (k < kNeighbours || near[k - 1].first > kGrid * kGrid) {
    near.clear();
    for (int c = 0; c < size(); ++c) add(c);
    k = kth();
  }
  // Weights relative to the nearest, so they cannot all underflow.
  double sum = 0;
  for (int i = 0; i < k; ++i) sum += std::exp(-(near[i].first - near[0].first) / (2 * kSigma * kSigma));
  for (int i = 0; i < kNeighbours; ++i) {
    index[i] = i < k ? near[i].second : near[0].second;
    weight[i] = i < k ? float(std::exp(-(near[i].first - near[0].first) / (2 * kSigma * kSigma)) / sum) : 0.f;
  }
}

std::vector<float> AbBins::rebalance(const std::vector<double> &counts, double uniform_mix) const {
  const int q = size();
  double total = 0;
  for (double c : counts) total += c;
  std::vector<double> smooth(q, 0.0);
  for (int i = 0; i < q; ++i) {
    double s = 0, norm = 0;
    for (int j = 0; j < q; ++j) {
      const double da = centres_[i][0] - centres_[j][0], db = centres_[i][1] - centres_[j][1];
      const double g = std::exp(-(da * da + db * db) / (2 * kSigma * kSigma));
      s += g * (total > 0 ? counts[j] / total : 1.0 / q);
      norm += g;
    }
    smooth[i] = s / norm;
  }
  double smooth_total = 0;
  for (double p : smooth) smooth_total += p;
  std::vector<float> w(q);
  double expected = 0;
  for (int i = 0; i < q; ++i) {
    const double p = smooth[i] / smooth_total;
    w[i] = float(1.0 / ((1 - uniform_mix) * p + uniform_mix / q));
    expected += p * w[i];
  }
  for (float &v : w) v = float(v / expected);
  return w;
}

void soft_encode_image(const AbBins &bins, const cv::Mat &ab, int32_t *index, float *weight) {
  CV_Assert(ab.type() == CV_32FC2);
  const size_t pixels = ab.total();
  size_t p = 0;
  for (int y = 0; y < ab.rows; ++y)
    for (int x = 0; x < ab.cols; ++x, ++p) {
      const cv::Vec2f v = ab.at<cv::Vec2f>(y, x);
      int32_t i[AbBins::kNeighbours];
      float w[AbBins::kNeighbours];
      bins.soft_encode(v[0], v[1], i, w);
      for (int k = 0; k < AbBins::kNeighbours; ++k) {
        index[k * pixels + p] = i[k];
        weight[k * pixels + p] = w[k];
      }
    }
}

void count_classes(const AbBins &bins, const cv::Mat &ab, std::vector<double> &counts) {
  CV_Assert(ab.type() == CV_32FC2);
  counts.resize(bins.size(), 0.0);
  for (int y = 0; y < ab.rows; ++y)
    for (int x = 0; x < ab.cols; ++x) {
      const cv::Vec2f v = ab.at<cv::Vec2f>(y, x);
      counts[bins.nearest(v[0], v[1])] += 1;
    }
}

}  // namespace colorize::train
