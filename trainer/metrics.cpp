// Quality measures: see metrics.h.
#include "metrics.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "colorize/color.h"

namespace colorize::train {

double colorfulness(const cv::Mat &bgr8) {
  CV_Assert(bgr8.type() == CV_8UC3);
  cv::Mat f;
  bgr8.convertTo(f, CV_32F);
  std::vector<cv::Mat> c;
  cv::split(f, c);  // B, G, R
  cv::Mat rg = c[2] - c[1];
  cv::Mat yb = 0.5 * (c[2] + c[1]) - c[0];
  cv::Scalar m_rg, s_rg, m_yb, s_yb;
  cv::meanStdDev(rg, m_rg, s_rg);
  cv::meanStdDev(yb, m_yb, s_yb);
  const double sigma = std::sqrt(s_rg[0] * s_rg[0] + s_yb[0] * s_yb[0]);
  const double mu = std::sqrt(m_rg[0] * m_rg[0] + m_yb[0] * m_yb[0]);
  return sigma + 0.3 * mu;
}

double psnr(const cv::Mat &a, const cv::Mat &b) {
  CV_Assert(a.size() == b.size() && a.type() == b.type());
  return std::min(100.0, cv::PSNR(a, b, 255.0));
}

cv::Mat lab_of(const cv::Mat &bgr8) {
  cv::Mat f;
  bgr8.convertTo(f, CV_32F, 1.0 / 255.0);
  return rgb_to_lab(f, ChannelOrder::Bgr);
}

double mean_delta_ab(const cv::Mat &a_bgr8, const cv::Mat &b_bgr8) {
  std::vector<cv::Mat> a, b;
  cv::split(lab_of(a_bgr8), a);
  cv::split(lab_of(b_bgr8), b);
  cv::Mat d;
  cv::magnitude(a[1] - b[1], a[2] - b[2], d);
  return cv::mean(d)[0];
}

double chroma_ripple(const cv::Mat &bgr8) {
  std::vector<cv::Mat> lab;
  cv::split(lab_of(bgr8), lab);
  cv::Mat mean, mean_sq, var;
  cv::boxFilter(lab[0], mean, CV_32F, cv::Size(5, 5), cv::Point(-1, -1), true, cv::BORDER_REFLECT);
  cv::boxFilter(lab[0].mul(lab[0]), mean_sq, CV_32F, cv::Size(5, 5), cv::Point(-1, -1), true, cv::BORDER_REFLECT);
  var = mean_sq - mean.mul(mean);
  const cv::Mat flat = var < 1.0;  // standard deviation below 1
  if (cv::countNonZero(flat) == 0) return 0;
  cv::Mat da, db, d;
  cv::GaussianBlur(lab[1], da, cv::Size(), 2.0, 2.0, cv::BORDER_REFLECT);
  cv::GaussianBlur(lab[2], db, cv::Size(), 2.0, 2.0, cv::BORDER_REFLECT);
  cv::magnitude(lab[1] - da, lab[2] - db, d);
  return cv::mean(d, flat)[0];
}

double mean_l_error(const cv::Mat &a_bgr8, const cv::Mat &b_bgr8) {
  cv::Mat la, lb;
  cv::extractChannel(lab_of(a_bgr8), la, 0);
  cv::extractChannel(lab_of(b_bgr8), lb, 0);
  return cv::norm(la, lb, cv::NORM_L1) / double(la.total());
}

cv::Mat compose_bgr8(const cv::Mat &L, const cv::Mat &ab) {
  CV_Assert(L.type() == CV_32FC1 && ab.type() == CV_32FC2 && L.size() == ab.size());
  cv::Mat lab;
  const cv::Mat parts[] = {L, ab};
  cv::merge(parts, 2, lab);
  cv::Mat rgb = lab_to_rgb(lab, ChannelOrder::Bgr), out;
  rgb.convertTo(out, CV_8U, 255.0);
  return out;
}

cv::Mat grayscale_bgr8(const cv::Mat &bgr8) {
  cv::Mat L;
  cv::extractChannel(lab_of(bgr8), L, 0);
  return compose_bgr8(L, cv::Mat::zeros(L.size(), CV_32FC2));
}

Scores score(const cv::Mat &original_bgr8, const cv::Mat &result_bgr8) {
  return {psnr(original_bgr8, result_bgr8), mean_delta_ab(original_bgr8, result_bgr8),
          colorfulness(result_bgr8), chroma_ripple(result_bgr8), mean_l_error(original_bgr8, result_bgr8)};
}

}  // namespace colorize::train
