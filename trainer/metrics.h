// Quality measures shared by validation during training and `eval`:
// PSNR (8-bit RGB), mean Delta E on a,b only (the L channel is the input's),
// and Hasler-Suesstrunk colourfulness. Colour math comes from core.
#pragma once

#include <opencv2/core.hpp>

namespace colorize::train {

/// Hasler & Suesstrunk (2003) colourfulness of a BGR 8-bit image:
/// sigma_rgyb + 0.3 * mu_rgyb with rg = R - G, yb = (R + G) / 2 - B.
double colorfulness(const cv::Mat &bgr8);

/// PSNR in dB between two BGR 8-bit images of the same size (capped at 100).
double psnr(const cv::Mat &a, const cv::Mat &b);

/// Mean over pixels of sqrt(da^2 + db^2) between the two images in CIE Lab.
double mean_delta_ab(const cv::Mat &a_bgr8, const cv::Mat &b_bgr8);

/// Chroma ripple: mean over the flat pixels (5 x 5 standard deviation of L
/// below 1) of |ab - GaussianBlur(ab, sigma 2 px)| (Euclidean, Lab units):
/// colour noise and grid patterns where the photo itself is smooth. 0 when
/// no pixel is flat.
double chroma_ripple(const cv::Mat &bgr8);

/// Mean |L(a) - L(b)| in Lab units (how much a result changed lightness).
double mean_l_error(const cv::Mat &a_bgr8, const cv::Mat &b_bgr8);

/// L (CV_32FC1, 0..100) + a,b (CV_32FC2, Lab units) -> BGR 8-bit.
cv::Mat compose_bgr8(const cv::Mat &L, const cv::Mat &ab);

/// The "do nothing" baseline: the image's L with a = b = 0, BGR 8-bit.
cv::Mat grayscale_bgr8(const cv::Mat &bgr8);

/// Lab (CV_32FC3) of a BGR 8-bit image.
cv::Mat lab_of(const cv::Mat &bgr8);

struct Scores {
  double psnr = 0, delta_ab = 0, colorfulness = 0, ripple = 0, l_error = 0;
};

/// Running means over images.
struct ScoreSums {
  Scores sum;
  int n = 0;
  void add(const Scores &s) {
    sum.psnr += s.psnr;
    sum.delta_ab += s.delta_ab;
    sum.colorfulness += s.colorfulness;
    sum.ripple += s.ripple;
    sum.l_error += s.l_error;
    ++n;
  }
  Scores mean() const {
    if (n == 0) return {};
    return {sum.psnr / n, sum.delta_ab / n, sum.colorfulness / n, sum.ripple / n, sum.l_error / n};
  }
};

/// Scores of `result` against the colour original.
Scores score(const cv::Mat &original_bgr8, const cv::Mat &result_bgr8);

}  // namespace colorize::train
