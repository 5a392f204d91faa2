// Gamut handling for the pipeline (declared in color_internal.h).
//
// A colour (L, a, b) outside the sRGB gamut clips on the way to RGB, and
// clipping changes L. The pipeline must keep L, so it limits chroma
// sqrt(a^2 + b^2) first, from a table of the largest chroma that does not
// clip in OpenCV's float Lab -> RGB (by L level and hue, built once by
// bisection), and afterwards repairs any pixel that still clipped by
// bisecting its chroma scale.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "color_internal.h"
#include "colorize/color.h"

namespace colorize {

namespace {

constexpr int kPerOctant = 45;          // hue samples per 45 degrees
constexpr int kHues = 8 * kPerOctant;   // table samples around the circle
constexpr int kLevels = 256;            // L = level * 100 / 255
// OpenCV's float Lab -> RGB clips linear RGB to [0,1]; a clipped channel
// comes out as 0 or within float rounding of 1.
constexpr float kClipLow = 1e-6f;
constexpr float kClipHigh = 1.f - 1e-5f;
constexpr float kMargin = 0.98f;        // lookup safety (hue between samples)
constexpr int kRepairSteps8u = 6;       // chroma scale precision 1/64
constexpr int kRepairStepsFloat = 12;
constexpr int kMaxLDiff8u = 1;          // 8-bit L units (100/255 each)

class GamutTable {
 public:
  GamutTable()
      : limit_(kLevels * kHues), floor_(kLevels), floor2_(kLevels),
        hue_of_(256 * 256) {
    const int n = kLevels * kHues;
    std::vector<float> lo(n, 0.f), hi(n, 200.f);  // sRGB chroma < ~135
    cv::Mat lab(1, n, CV_32FC3), rgb;
    std::vector<cv::Vec2f> dir(kHues);
    for (int h = 0; h < kHues; ++h) dir[h] = direction(float(h) / kPerOctant);
    for (int step = 0; step < 16; ++step) {
      for (int i = 0; i < n; ++i) {
        const float c = 0.5f * (lo[i] + hi[i]);
        const cv::Vec2f d = dir[i % kHues];
        lab.at<cv::Vec3f>(i) = cv::Vec3f(level_l(i / kHues), c * d[0], c * d[1]);
      }
      cv::cvtColor(lab, rgb, cv::COLOR_Lab2RGB);
      const float *p = rgb.ptr<float>(0);
      for (int i = 0; i < n; ++i, p += 3) {
        const bool fits = p[0] > kClipLow && p[0] < kClipHigh &&
                          p[1] > kClipLow && p[1] < kClipHigh &&
                          p[2] > kClipLow && p[2] < kClipHigh;
        (fits ? lo[i] : hi[i]) = 0.5f * (lo[i] + hi[i]);
      }
    }
    // Hue column h covers pseudo-angles [h, h + 1) / kPerOctant: the safe
    // limit is the smaller of its two ends, less a margin.
    for (int l = 0; l < kLevels; ++l) {
      const float *c = &lo[l * kHues];
      float *row = &limit_[l * kHues];
      for (int h = 0; h < kHues; ++h) {
        row[h] = kMargin * std::min(c[h], c[(h + 1) % kHues]);
      }
      floor_[l] = *std::min_element(row, row + kHues);
      floor2_[l] = int(floor_[l] * floor_[l]);
    }
    for (int a = -128; a < 128; ++a) {
      for (int b = -128; b < 128; ++b) {
        hue_of_[(a + 128) * 256 + (b + 128)] = uint16_t(
            (a || b) ? column(pseudo_angle(float(a), float(b))) : 0);
      }
    }
  }

  static float level_l(int level) { return level * 100.f / (kLevels - 1); }

  /// Chroma below this keeps L at this level whatever the hue.
  float floor(int level) const { return floor_[level]; }

  /// Hue as a pseudo-angle in [0,8): octant + tangent within it, monotone
  /// in the true angle and cheaper than atan2. (a, b) must not be (0, 0).
  static float pseudo_angle(float a, float b) {
    const float ax = std::abs(a), bx = std::abs(b);
    const bool flat = ax >= bx;  // closer to the a axis
    const float t = flat ? bx / ax : ax / bx;
    if (b >= 0) {
      if (a >= 0) return flat ? t : 2 - t;
      return flat ? 4 - t : 2 + t;
    }
    if (a < 0) return flat ? 4 + t : 6 - t;
    return flat ? 8 - t : 6 + t;
  }

  /// Unit (a, b) direction of a pseudo-angle.
  static cv::Vec2f direction(float p) {
    const int octant = std::min(int(p), 7);
    const float f = p - octant;  // position within the octant
    float a, b;
    switch (octant) {
      case 0: a = 1; b = f; break;
      case 1: a = 1 - f; b = 1; break;
      case 2: a = -f; b = 1; break;
      case 3: a = -1; b = 1 - f; break;
      case 4: a = -1; b = -f; break;
      case 5: a = f - 1; b = -1; break;
      case 6: a = f; b = -1; break;
      default: a = 1; b = f - 1; break;
    }
    const float norm = std::sqrt(a * a + b * b);
    return cv::Vec2f(a / norm, b / norm);
  }

  /// Table column of a pseudo-angle.
  static int column(float hue) {
    return std::min(int(hue * kPerOctant), kHues - 1);
  }

  /// Largest safe chroma at this level and table column.
  float limit(int level, int column) const {
    return limit_[level * kHues + column];
  }

  /// floor(level)^2, rounded down, for integer chroma tests.
  int floor2(int level) const { return floor2_[level]; }

  /// Table column of the integer chroma (a, b), each in [-128, 127].
  int hue_column(int a, int b) const {
    return hue_of_[(a + 128) * 256 + (b + 128)];
  }

 private:
  std::vector<float> limit_;     // kLevels x kHues
  std::vector<float> floor_;     // per level, minimum over hues
  std::vector<int> floor2_;
  std::vector<uint16_t> hue_of_;  // 256 x 256, by (a + 128, b + 128)
};

const GamutTable &gamut_table() {
  static const GamutTable table;  // ~30 ms, once per process
  return table;
}

/// Scales (a, b) down to the table's limit for `level` if it exceeds it.
inline void clamp_chroma(const GamutTable &g, int level, float &a, float &b) {
  const float c2 = a * a + b * b;
  const float f = g.floor(level);
  if (c2 <= f * f) return;
  const float lim = g.limit(level, GamutTable::column(GamutTable::pseudo_angle(a, b)));
  if (c2 > lim * lim) {
    const float s = lim / std::sqrt(c2);
    a *= s;
    b *= s;
  }
}

}  // namespace

void prepare_color_tables() {
  gamut_table();  // converts with OpenCV, which sets up its own tables
}

namespace detail {

void pack_ab_8u(const float *p, uchar *q, int width) {
  const GamutTable &g = gamut_table();
  for (int x = 0; x < width; ++x, p += 2, q += 3) {
    // Integer a, b first: the common in-gamut case is then two table
    // look-ups, no division or square root.
    const int a = std::clamp(cvRound(p[0]), -128, 127);
    const int b = std::clamp(cvRound(p[1]), -128, 127);
    const int c2 = a * a + b * b;
    const int level = q[0];
    if (c2 > g.floor2(level)) {
      const float lim = g.limit(level, g.hue_column(a, b));
      if (float(c2) > lim * lim) {
        const float s = lim / std::sqrt(p[0] * p[0] + p[1] * p[1]);
        q[1] = cv::saturate_cast<uchar>(p[0] * s + 128.f);
        q[2] = cv::saturate_cast<uchar>(p[1] * s + 128.f);
        continue;
      }
    }
    q[1] = uchar(a + 128);
    q[2] = uchar(b + 128);
  }
}

void limit_chroma(cv::Mat &lab) {
  const GamutTable &g = gamut_table();
  for (int r = 0; r < lab.rows; ++r) {
    float *q = lab.ptr<float>(r);
    for (int x = 0; x < lab.cols; ++x, q += 3) {
      // The more restrictive of the two 8-bit levels around L.
      const float level = std::clamp(q[0], 0.f, 100.f) * (kLevels - 1) / 100.f;
      const int l0 = int(level), l1 = std::min(l0 + 1, kLevels - 1);
      clamp_chroma(g, g.floor(l0) < g.floor(l1) ? l0 : l1, q[1], q[2]);
    }
  }
}

/// Out-of-gamut repair for the 8-bit path. `lab8` holds the wanted colours
/// (OpenCV 8-bit Lab: L*255/100, a+128, b+128), `rgb8` their conversion.
/// Pixels that clipped (a channel at 0 or 255) and lost L get their chroma
/// reduced until the 8-bit L round trip is within kMaxLDiff8u.
void repair_gamut_8u(const cv::Mat &lab8, cv::Mat &rgb8, int to_lab,
                     int from_lab) {
  std::vector<cv::Point> where;
  for (int r = 0; r < rgb8.rows; ++r) {
    const uchar *p = rgb8.ptr<uchar>(r);
    const uchar *q = lab8.ptr<uchar>(r);
    for (int x = 0; x < rgb8.cols; ++x, p += 3, q += 3) {
      const bool edge = p[0] == 0 || p[0] == 255 || p[1] == 0 ||
                        p[1] == 255 || p[2] == 0 || p[2] == 255;
      if (edge && (q[1] != 128 || q[2] != 128)) where.emplace_back(x, r);
    }
  }
  if (where.empty()) return;

  const int n = int(where.size());
  cv::Mat want(1, n, CV_8UC3), got(1, n, CV_8UC3), got_lab;
  for (int i = 0; i < n; ++i) {
    want.at<cv::Vec3b>(i) = lab8.at<cv::Vec3b>(where[i]);
    got.at<cv::Vec3b>(i) = rgb8.at<cv::Vec3b>(where[i]);
  }
  cv::cvtColor(got, got_lab, to_lab);
  std::vector<int> bad;
  for (int i = 0; i < n; ++i) {
    if (std::abs(int(got_lab.at<cv::Vec3b>(i)[0]) -
                 int(want.at<cv::Vec3b>(i)[0])) > kMaxLDiff8u) {
      bad.push_back(i);
    }
  }
  if (bad.empty()) return;

  const int m = int(bad.size());
  std::vector<float> lo(m, 0.f), hi(m, 1.f);
  cv::Mat trial(1, m, CV_8UC3), trial_rgb, trial_lab;
  auto make_trial = [&](const std::vector<float> &s) {
    for (int j = 0; j < m; ++j) {
      const cv::Vec3b w = want.at<cv::Vec3b>(bad[j]);
      trial.at<cv::Vec3b>(j) = cv::Vec3b(
          w[0], cv::saturate_cast<uchar>(128 + s[j] * (w[1] - 128)),
          cv::saturate_cast<uchar>(128 + s[j] * (w[2] - 128)));
    }
    cv::cvtColor(trial, trial_rgb, from_lab);
  };
  std::vector<float> mid(m);
  for (int step = 0; step < kRepairSteps8u; ++step) {
    for (int j = 0; j < m; ++j) mid[j] = 0.5f * (lo[j] + hi[j]);
    make_trial(mid);
    cv::cvtColor(trial_rgb, trial_lab, to_lab);
    for (int j = 0; j < m; ++j) {
      const int dl = int(trial_lab.at<cv::Vec3b>(j)[0]) -
                     int(trial.at<cv::Vec3b>(j)[0]);
      (std::abs(dl) <= kMaxLDiff8u ? lo[j] : hi[j]) = mid[j];
    }
  }
  make_trial(lo);
  for (int j = 0; j < m; ++j) {
    rgb8.at<cv::Vec3b>(where[bad[j]]) = trial_rgb.at<cv::Vec3b>(j);
  }
}

/// Float counterpart of repair_gamut_8u. OpenCV's float Lab -> RGB is
/// accurate (about 1e-4), so here the test is simply whether the colour
/// clipped: a pixel with a channel at 0 or 1 gets the largest chroma scale
/// (bisection) that no longer clips.
void repair_gamut_float(const cv::Mat &lab, cv::Mat &rgb, int from_lab) {
  auto clipped = [](const float *p) {
    return p[0] <= kClipLow || p[0] >= kClipHigh || p[1] <= kClipLow ||
           p[1] >= kClipHigh || p[2] <= kClipLow || p[2] >= kClipHigh;
  };
  std::vector<cv::Point> where;
  for (int r = 0; r < rgb.rows; ++r) {
    const float *p = rgb.ptr<float>(r);
    const float *q = lab.ptr<float>(r);
    for (int x = 0; x < rgb.cols; ++x, p += 3, q += 3) {
      if (clipped(p) && (q[1] != 0.f || q[2] != 0.f)) where.emplace_back(x, r);
    }
  }
  if (where.empty()) return;

  const int n = int(where.size());
  cv::Mat want(1, n, CV_32FC3), trial(1, n, CV_32FC3), trial_rgb;
  for (int i = 0; i < n; ++i) want.at<cv::Vec3f>(i) = lab.at<cv::Vec3f>(where[i]);
  std::vector<float> lo(n, 0.f), hi(n, 1.f), s(n);
  auto make_trial = [&](const std::vector<float> &scale) {
    for (int i = 0; i < n; ++i) {
      const cv::Vec3f w = want.at<cv::Vec3f>(i);
      trial.at<cv::Vec3f>(i) = cv::Vec3f(w[0], scale[i] * w[1], scale[i] * w[2]);
    }
    cv::cvtColor(trial, trial_rgb, from_lab);
  };
  for (int step = 0; step < kRepairStepsFloat; ++step) {
    for (int i = 0; i < n; ++i) s[i] = 0.5f * (lo[i] + hi[i]);
    make_trial(s);
    const float *p = trial_rgb.ptr<float>(0);
    for (int i = 0; i < n; ++i) {
      (clipped(p + 3 * i) ? hi[i] : lo[i]) = s[i];
    }
  }
  make_trial(lo);
  for (int i = 0; i < n; ++i) {
    rgb.at<cv::Vec3f>(where[i]) = trial_rgb.at<cv::Vec3f>(i);
  }
}

}  // namespace detail

}  // namespace colorize
