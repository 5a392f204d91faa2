// CIE lightness of 8-bit pixels for the pipeline's 8-bit path (declared in
// color_internal.h).
//
// The 8-bit path works in OpenCV's 8-bit Lab (L * 255 / 100, a + 128,
// b + 128), and of the input it needs only L: a and b come from the network.
// So L is computed alone instead of by a whole cv::cvtColor to Lab: sRGB
// decoded by a table to 16-bit linear light, Y from the luminance row of
// the sRGB -> XYZ (D65) matrix in integers whose weights sum to a power of
// two (a gray pixel's Y is its linear value exactly, so gray and RGB agree),
// and L from a table over Y. It is the CIE formula rounded once; about four
// times faster than the full conversion at 24 MP.
#include <cmath>
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "color_internal.h"

namespace colorize::detail {

namespace {

constexpr int kLinearBits = 16;         // linear light in [0, 65535]
constexpr int kWeightBits = 15;         // the Y weights sum to 1 << 15
// The Y row of sRGB -> XYZ (D65): 0.212671, 0.715160, 0.072169.
constexpr uint32_t kWeightR = 6969;     // round(0.212671 * 32768)
constexpr uint32_t kWeightG = 23434;    // round(0.715160 * 32768)
constexpr uint32_t kWeightB = (1u << kWeightBits) - kWeightR - kWeightG;

class LightnessTables {
 public:
  LightnessTables() : level_(1u << kLinearBits) {
    const double top = (1u << kLinearBits) - 1;
    for (int v = 0; v < 256; ++v) {
      const double c = v / 255.0;
      const double linear = c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
      linear_[v] = uint16_t(std::lround(linear * top));
    }
    for (size_t y = 0; y < level_.size(); ++y) {
      const double Y = y / top;
      const double f = Y > 216.0 / 24389.0 ? std::cbrt(Y) : (24389.0 / 27.0 * Y + 16.0) / 116.0;
      level_[y] = cv::saturate_cast<uchar>((116.0 * f - 16.0) * 255.0 / 100.0);
    }
  }

  uchar gray(uchar v) const { return level_[linear_[v]]; }

  uchar rgb(uchar r, uchar g, uchar b) const {
    const uint32_t y = kWeightR * linear_[r] + kWeightG * linear_[g] + kWeightB * linear_[b];
    return level_[(y + (1u << (kWeightBits - 1))) >> kWeightBits];
  }

 private:
  uint16_t linear_[256];
  std::vector<uchar> level_;  // by Y in 1 / 65535 steps
};

const LightnessTables &tables() {
  static const LightnessTables t;  // ~2 ms, once per process
  return t;
}

}  // namespace

void lightness_8u(const uchar *src, int channels, ChannelOrder order, uchar *lab8, int width) {
  const LightnessTables &t = tables();
  if (channels <= 2) {  // gray, gray + alpha
    for (int x = 0; x < width; ++x, src += channels) lab8[3 * x] = t.gray(src[0]);
    return;
  }
  const int r = order == ChannelOrder::Bgr ? 2 : 0, b = 2 - r;
  for (int x = 0; x < width; ++x, src += channels) lab8[3 * x] = t.rgb(src[r], src[1], src[b]);
}

}  // namespace colorize::detail
