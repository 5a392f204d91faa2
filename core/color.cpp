// Colour conversion and network normalisation: the one definition shared by
// the CLI, the plug-in and the trainer. Everything is OpenCV; the Lab
// conversion is OpenCV's float sRGB <-> CIE Lab (D65), which also clips RGB
// to [0,1] on the way in and out. Gamut handling is in gamut.cpp.
#include "colorize/color.h"

#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "colorize/error.h"
#include "color_internal.h"

namespace colorize {

namespace {

std::string type_name(const cv::Mat &m) {
  return cv::typeToString(m.type()) + " " + std::to_string(m.cols) + "x" +
         std::to_string(m.rows);
}

void require_type(const cv::Mat &m, int type, const char *what) {
  if (m.empty() || m.type() != type) {
    throw ImageError(std::string(what) + ": expected a non-empty " +
                     cv::typeToString(type) + " image, got " + type_name(m));
  }
}

}  // namespace

cv::Mat rgb_to_lab(const cv::Mat &rgb, ChannelOrder order) {
  require_type(rgb, CV_32FC3, "rgb_to_lab");
  cv::Mat lab;
  cv::cvtColor(rgb, lab, order == ChannelOrder::Bgr ? cv::COLOR_BGR2Lab
                                                    : cv::COLOR_RGB2Lab);
  return lab;
}

cv::Mat lab_to_rgb(const cv::Mat &lab, ChannelOrder order) {
  require_type(lab, CV_32FC3, "lab_to_rgb");
  cv::Mat rgb;  // OpenCV clips the float result to [0,1]
  cv::cvtColor(lab, rgb, order == ChannelOrder::Bgr ? cv::COLOR_Lab2BGR
                                                    : cv::COLOR_Lab2RGB);
  return rgb;
}

namespace detail {

int to_luv_code(ChannelOrder order) {
  return order == ChannelOrder::Bgr ? cv::COLOR_BGR2Luv : cv::COLOR_RGB2Luv;
}

double unit_scale(int depth) {
  switch (depth) {
    case CV_8U: return 1.0 / 255.0;
    case CV_16U: return 1.0 / 65535.0;
    case CV_32F: return 1.0;
    default:
      throw ImageError(std::string("unsupported pixel depth ") +
                       cv::depthToString(depth) +
                       " (expected 8-bit, 16-bit or 32-bit float)");
  }
}

void check_image(const cv::Mat &image) {
  if (image.empty()) throw ImageError("empty image");
  if (image.dims != 2) throw ImageError("image must be two-dimensional");
  unit_scale(image.depth());
  if (image.channels() < 1 || image.channels() > 4) {
    throw ImageError("unsupported channel count " +
                     std::to_string(image.channels()) +
                     " (expected 1 = gray, 2 = gray+alpha, 3 = RGB, 4 = RGBA)");
  }
}

cv::Mat to_float_rgb(const cv::Mat &image) {
  check_image(image);
  const double scale = unit_scale(image.depth());
  const int cn = image.channels();
  cv::Mat rgb(image.size(), CV_32FC3);
  if (cn <= 2) {
    cv::Mat gray;
    if (cn == 1) {
      gray = image;
    } else {
      gray.create(image.size(), image.depth());
      cv::mixChannels(&image, 1, &gray, 1, std::vector<int>{0, 0}.data(), 1);
    }
    cv::Mat grayf;
    gray.convertTo(grayf, CV_32F, scale);
    cv::cvtColor(grayf, rgb, cv::COLOR_GRAY2RGB);
  } else {
    cv::Mat src = image;
    if (cn == 4) {  // drop alpha
      src.create(image.size(), CV_MAKETYPE(image.depth(), 3));
      const int from_to[] = {0, 0, 1, 1, 2, 2};
      cv::mixChannels(&image, 1, &src, 1, from_to, 3);
    }
    src.convertTo(rgb, CV_32F, scale);
  }
  return rgb;
}

}  // namespace detail

cv::Mat luminance(const cv::Mat &image, ChannelOrder order) {
  // The L of CIE L*u*v* is the same CIE lightness as Lab's, and OpenCV's
  // float RGB -> Luv computes it to ~0.004, where its float RGB -> Lab is
  // off by up to 0.23 around L = 9 (measured against the CIE formula).
  cv::Mat luv;
  cv::cvtColor(detail::to_float_rgb(image), luv, detail::to_luv_code(order));
  cv::Mat L;
  cv::extractChannel(luv, L, 0);
  return L;
}

cv::Mat normalize_l(const cv::Mat &L, const Normalization &n) {
  require_type(L, CV_32FC1, "normalize_l");
  cv::Mat x;
  L.convertTo(x, CV_32F, 1.0 / n.l_scale, n.l_offset);
  return x;
}

cv::Mat denormalize_l(const cv::Mat &x, const Normalization &n) {
  require_type(x, CV_32FC1, "denormalize_l");
  cv::Mat L;
  x.convertTo(L, CV_32F, n.l_scale, -n.l_offset * n.l_scale);
  return L;
}

cv::Mat normalize_ab(const cv::Mat &ab, const Normalization &n) {
  require_type(ab, CV_32FC2, "normalize_ab");
  cv::Mat y;
  ab.convertTo(y, CV_32F, 1.0 / n.ab_scale);
  return y;
}

cv::Mat denormalize_ab(const cv::Mat &y, const Normalization &n) {
  require_type(y, CV_32FC2, "denormalize_ab");
  cv::Mat ab;
  y.convertTo(ab, CV_32F, n.ab_scale);
  return ab;
}

cv::Mat rgb_from_network(const cv::Mat &y) {
  require_type(y, CV_32FC3, "rgb_from_network");
  cv::Mat rgb;
  y.convertTo(rgb, CV_32F, 0.5, 0.5);
  cv::min(cv::max(rgb, 0.0), 1.0, rgb);
  return rgb;
}

cv::Mat rgb_to_network(const cv::Mat &rgb) {
  require_type(rgb, CV_32FC3, "rgb_to_network");
  cv::Mat y;
  rgb.convertTo(y, CV_32F, 2.0, -1.0);
  return y;
}

}  // namespace colorize
