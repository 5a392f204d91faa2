// Colour conversion and network normalisation (core/color.cpp), and the
// 8-bit lightness of the pipeline's 8-bit path (core/lightness.cpp).
#include <algorithm>
#include <cmath>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "colorize/color.h"
#include "colorize/error.h"
#include "color_internal.h"

namespace colorize {
namespace {

double max_abs_diff(const cv::Mat &a, const cv::Mat &b) {
  return cv::norm(a, b, cv::NORM_INF);
}

cv::Mat random_rgb(int rows, int cols, uint64_t seed) {
  cv::Mat rgb(rows, cols, CV_32FC3);
  cv::RNG(seed).fill(rgb, cv::RNG::UNIFORM, 0.0, 1.0);
  return rgb;
}

TEST(Lab, KnownColoursAreCieLabD65) {
  // Set-up on another thread (as the CLI does while the model loads), then
  // convert here.
  std::thread(prepare_color_tables).join();
  cv::Mat rgb(1, 4, CV_32FC3);
  rgb.at<cv::Vec3f>(0) = {1, 1, 1};  // white
  rgb.at<cv::Vec3f>(1) = {0, 0, 0};  // black
  rgb.at<cv::Vec3f>(2) = {1, 0, 0};  // sRGB red
  rgb.at<cv::Vec3f>(3) = {0, 0, 1};  // sRGB blue
  const cv::Mat lab = rgb_to_lab(rgb);
  ASSERT_EQ(lab.type(), CV_32FC3);
  // Reference values of CIE L*a*b* (D65) for sRGB primaries.
  const cv::Vec3f expected[] = {{100, 0, 0},
                                {0, 0, 0},
                                {53.24f, 80.09f, 67.20f},
                                {32.30f, 79.19f, -107.86f}};
  for (int i = 0; i < 4; ++i) {
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(lab.at<cv::Vec3f>(i)[c], expected[i][c], 0.6)
          << "colour " << i << " channel " << c;
    }
  }
}

// OpenCV's float sRGB transfer curve is a spline table: round trips are
// good to about 3e-3 (under one 8-bit step), not to float precision.
constexpr double kRoundTrip = 4e-3;

TEST(Lab, RoundTripFloat) {
  const cv::Mat rgb = random_rgb(64, 64, 1);
  const cv::Mat back = lab_to_rgb(rgb_to_lab(rgb));
  EXPECT_LT(max_abs_diff(rgb, back), kRoundTrip);
  cv::Mat diff;
  cv::absdiff(rgb, back, diff);
  EXPECT_LT(cv::mean(diff.reshape(1))[0], 1.5e-3);
}

TEST(Lab, RoundTripThroughIntegerDepths) {
  // 8-bit and 16-bit pictures go through float [0,1] with 1/255 and 1/65535.
  cv::Mat rgb8(32, 32, CV_8UC3), rgb16(32, 32, CV_16UC3);
  cv::RNG(2).fill(rgb8, cv::RNG::UNIFORM, 0, 256);
  cv::RNG(3).fill(rgb16, cv::RNG::UNIFORM, 0, 65536);
  for (const auto &[image, scale] :
       {std::pair{rgb8, 255.0}, std::pair{rgb16, 65535.0}}) {
    cv::Mat f, back;
    image.convertTo(f, CV_32F, 1.0 / scale);
    lab_to_rgb(rgb_to_lab(f)).convertTo(back, image.depth(), scale);
    cv::Mat diff;
    cv::absdiff(image, back, diff);
    EXPECT_LE(cv::norm(diff, cv::NORM_INF), std::max(1.0, kRoundTrip * scale))
        << "depth " << image.depth();
  }
}

TEST(Lab, BgrOrderSwapsChannels) {
  const cv::Mat rgb = random_rgb(16, 16, 4);
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  EXPECT_LT(max_abs_diff(rgb_to_lab(rgb), rgb_to_lab(bgr, ChannelOrder::Bgr)),
            1e-4);
  const cv::Mat lab = rgb_to_lab(rgb);
  cv::Mat back_bgr = lab_to_rgb(lab, ChannelOrder::Bgr), back_rgb;
  cv::cvtColor(back_bgr, back_rgb, cv::COLOR_BGR2RGB);
  EXPECT_LT(max_abs_diff(back_rgb, lab_to_rgb(lab)), 1e-4);
}

TEST(Lab, OutOfGamutIsClipped) {
  cv::Mat lab(1, 2, CV_32FC3);
  lab.at<cv::Vec3f>(0) = {50, 120, 120};
  lab.at<cv::Vec3f>(1) = {0, -100, 100};
  const cv::Mat rgb = lab_to_rgb(lab);
  double lo, hi;
  cv::minMaxLoc(rgb.reshape(1), &lo, &hi);
  EXPECT_GE(lo, 0.0);
  EXPECT_LE(hi, 1.0);
}

TEST(Lab, WrongTypesAreRejected) {
  EXPECT_THROW(rgb_to_lab(cv::Mat(4, 4, CV_8UC3, cv::Scalar::all(0))),
               ImageError);
  EXPECT_THROW(lab_to_rgb(cv::Mat(4, 4, CV_32FC1, cv::Scalar(0))), ImageError);
  EXPECT_THROW(rgb_to_lab(cv::Mat()), ImageError);
}

TEST(Luminance, SameForEveryDepthAndLayout) {
  cv::Mat rgb8(8, 9, CV_8UC3);
  cv::RNG(5).fill(rgb8, cv::RNG::UNIFORM, 0, 256);
  cv::Mat rgb16, rgbf;
  rgb8.convertTo(rgb16, CV_16U, 257.0);  // same colours exactly
  rgb8.convertTo(rgbf, CV_32F, 1.0 / 255.0);
  const cv::Mat L = luminance(rgb8);
  ASSERT_EQ(L.type(), CV_32FC1);
  ASSERT_EQ(L.size(), rgb8.size());
  EXPECT_LT(max_abs_diff(L, luminance(rgb16)), 1e-3);
  EXPECT_LT(max_abs_diff(L, luminance(rgbf)), 1e-3);

  // Alpha is ignored, whatever its value.
  cv::Mat rgba;
  cv::cvtColor(rgb8, rgba, cv::COLOR_RGB2RGBA);
  for (int r = 0; r < rgba.rows; ++r) {
    for (int c = 0; c < rgba.cols; ++c) rgba.at<cv::Vec4b>(r, c)[3] = uchar(r * 7 + c);
  }
  EXPECT_LT(max_abs_diff(L, luminance(rgba)), 1e-4);

  // Channel order: the same picture stored B,G,R.
  cv::Mat bgr8;
  cv::cvtColor(rgb8, bgr8, cv::COLOR_RGB2BGR);
  EXPECT_LT(max_abs_diff(L, luminance(bgr8, ChannelOrder::Bgr)), 1e-4);
  EXPECT_GT(max_abs_diff(L, luminance(bgr8, ChannelOrder::Rgb)), 1.0)
      << "order must matter for colour pictures";
}

TEST(Luminance, GrayAndGrayAlpha) {
  cv::Mat gray(5, 7, CV_8UC1);
  cv::RNG(7).fill(gray, cv::RNG::UNIFORM, 0, 256);
  cv::Mat rgb;
  cv::cvtColor(gray, rgb, cv::COLOR_GRAY2RGB);
  const cv::Mat L = luminance(rgb);
  EXPECT_LT(max_abs_diff(L, luminance(gray)), 1e-4);
  cv::Mat gray_alpha(gray.size(), CV_8UC2, cv::Scalar(0, 99));
  const int from_to[] = {0, 0};
  cv::mixChannels(&gray, 1, &gray_alpha, 1, from_to, 1);
  EXPECT_LT(max_abs_diff(L, luminance(gray_alpha)), 1e-4);
  // Extremes.
  EXPECT_NEAR(luminance(cv::Mat(1, 1, CV_8UC1, cv::Scalar(255))).at<float>(0),
              100.0, 0.01);
  EXPECT_NEAR(luminance(cv::Mat(1, 1, CV_16UC1, cv::Scalar(0))).at<float>(0),
              0.0, 0.01);
}

/// lightness_8u's L (channel 0 of 8-bit Lab, L * 255 / 100) of a row.
cv::Mat lightness_row(const cv::Mat &row, ChannelOrder order = ChannelOrder::Rgb) {
  cv::Mat lab8(row.size(), CV_8UC3, cv::Scalar(1, 2, 3));
  detail::lightness_8u(row.ptr<uchar>(), row.channels(), order, lab8.ptr<uchar>(), row.cols);
  cv::Mat L;
  cv::extractChannel(lab8, L, 0);
  return L;
}

TEST(Lightness8u, EveryRgbColourIsCieLightnessRounded) {
  // All 2^24 colours, one red level per row: within 0.55 of an 8-bit L step
  // of the accurate L (rounding is 0.5), 0.25 on average.
  cv::Mat row(1, 256 * 256, CV_8UC3);
  double worst = 0, sum = 0;
  for (int r = 0; r < 256; ++r) {
    for (int i = 0; i < row.cols; ++i) row.at<cv::Vec3b>(i) = cv::Vec3b(uchar(r), uchar(i >> 8), uchar(i));
    const cv::Mat got = lightness_row(row);
    const cv::Mat want = luminance(row) * (255.0 / 100.0);
    for (int i = 0; i < row.cols; ++i) {
      const double e = std::abs(got.at<uchar>(i) - want.at<float>(i));
      worst = std::max(worst, e);
      sum += e;
    }
  }
  EXPECT_LE(worst, 0.55);
  EXPECT_NEAR(sum / (256.0 * 256 * 256), 0.25, 0.01);
}

TEST(Lightness8u, OnlyChannelZeroIsWritten) {
  const cv::Mat row(1, 5, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::Mat lab8(row.size(), CV_8UC3, cv::Scalar(7, 8, 9));
  detail::lightness_8u(row.ptr<uchar>(), 3, ChannelOrder::Rgb, lab8.ptr<uchar>(), row.cols);
  for (int i = 0; i < row.cols; ++i) EXPECT_EQ(lab8.at<cv::Vec3b>(i), cv::Vec3b(255, 8, 9));
}

TEST(Lightness8u, GrayAlphaAndChannelOrderAgree) {
  cv::Mat rgb(1, 4096, CV_8UC3);
  cv::RNG(11).fill(rgb, cv::RNG::UNIFORM, 0, 256);
  const cv::Mat L = lightness_row(rgb);

  cv::Mat bgr, rgba, bgra;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  cv::cvtColor(rgb, rgba, cv::COLOR_RGB2RGBA);
  for (int i = 0; i < rgba.cols; ++i) rgba.at<cv::Vec4b>(i)[3] = uchar(i * 13);
  cv::cvtColor(rgba, bgra, cv::COLOR_RGBA2BGRA);
  EXPECT_EQ(cv::norm(L, lightness_row(bgr, ChannelOrder::Bgr), cv::NORM_INF), 0);
  EXPECT_EQ(cv::norm(L, lightness_row(rgba), cv::NORM_INF), 0);
  EXPECT_EQ(cv::norm(L, lightness_row(bgra, ChannelOrder::Bgr), cv::NORM_INF), 0);
  EXPECT_GT(cv::norm(L, lightness_row(bgr, ChannelOrder::Rgb), cv::NORM_INF), 1)
      << "order must matter for colour pixels";

  // A gray pixel has the same L stored as gray, gray + alpha or RGB.
  cv::Mat gray(1, 256, CV_8UC1), gray3, gray_alpha(1, 256, CV_8UC2);
  for (int v = 0; v < 256; ++v) {
    gray.at<uchar>(v) = uchar(v);
    gray_alpha.at<cv::Vec2b>(v) = cv::Vec2b(uchar(v), uchar(255 - v));
  }
  cv::cvtColor(gray, gray3, cv::COLOR_GRAY2RGB);
  const cv::Mat Lg = lightness_row(gray);
  EXPECT_EQ(cv::norm(Lg, lightness_row(gray3), cv::NORM_INF), 0);
  EXPECT_EQ(cv::norm(Lg, lightness_row(gray_alpha), cv::NORM_INF), 0);
  EXPECT_EQ(Lg.at<uchar>(0), 0);
  EXPECT_EQ(Lg.at<uchar>(255), 255);
}

TEST(Luminance, BadImagesAreRejected) {
  EXPECT_THROW(luminance(cv::Mat()), ImageError);
  EXPECT_THROW(luminance(cv::Mat(2, 2, CV_8SC3, cv::Scalar::all(0))),
               ImageError);
  EXPECT_THROW(luminance(cv::Mat(2, 2, CV_64FC3, cv::Scalar::all(0))),
               ImageError);
  EXPECT_THROW(luminance(cv::Mat(2, 2, CV_8UC(5), cv::Scalar::all(0))),
               ImageError);
  try {
    luminance(cv::Mat(2, 2, CV_8UC(5), cv::Scalar::all(0)));
  } catch (const ImageError &e) {
    EXPECT_NE(std::string(e.what()).find("channel"), std::string::npos)
        << e.what();
  }
}

TEST(Normalization, DefaultsMapLToMinusOneOne) {
  const Normalization n;
  cv::Mat L = (cv::Mat_<float>(1, 3) << 0.f, 50.f, 100.f);
  const cv::Mat x = normalize_l(L, n);
  EXPECT_NEAR(x.at<float>(0), -1.f, 1e-6);
  EXPECT_NEAR(x.at<float>(1), 0.f, 1e-6);
  EXPECT_NEAR(x.at<float>(2), 1.f, 1e-6);
  EXPECT_LT(max_abs_diff(denormalize_l(x, n), L), 1e-4);
}

TEST(Normalization, CustomRoundTrips) {
  Normalization n;
  n.l_scale = 100.0;
  n.l_offset = -0.5;
  n.ab_scale = 128.0;
  cv::Mat L(4, 4, CV_32FC1);
  cv::RNG(8).fill(L, cv::RNG::UNIFORM, 0.0, 100.0);
  const cv::Mat x = normalize_l(L, n);
  EXPECT_NEAR(x.at<float>(0), L.at<float>(0) / 100.f - 0.5f, 1e-5);
  EXPECT_LT(max_abs_diff(denormalize_l(x, n), L), 1e-4);

  cv::Mat ab(4, 4, CV_32FC2);
  cv::RNG(9).fill(ab, cv::RNG::UNIFORM, -110.0, 110.0);
  const cv::Mat y = normalize_ab(ab, n);
  ASSERT_EQ(y.type(), CV_32FC2);
  EXPECT_NEAR(y.at<cv::Vec2f>(1, 2)[1], ab.at<cv::Vec2f>(1, 2)[1] / 128.f, 1e-6);
  EXPECT_LT(max_abs_diff(denormalize_ab(y, n), ab), 1e-4);
}

TEST(Normalization, AbDefaultScale) {
  cv::Mat y(1, 1, CV_32FC2, cv::Scalar(1.0, -0.5));
  const cv::Mat ab = denormalize_ab(y, Normalization{});
  EXPECT_FLOAT_EQ(ab.at<cv::Vec2f>(0)[0], 110.f);
  EXPECT_FLOAT_EQ(ab.at<cv::Vec2f>(0)[1], -55.f);
}

TEST(Normalization, RgbNetworkRange) {
  cv::Mat y(1, 3, CV_32FC3);
  y.at<cv::Vec3f>(0) = {-1, 0, 1};
  y.at<cv::Vec3f>(1) = {0.5f, -0.5f, 0};
  y.at<cv::Vec3f>(2) = {2, -3, 0};  // out of range: clipped
  const cv::Mat rgb = rgb_from_network(y);
  EXPECT_EQ(rgb.at<cv::Vec3f>(0), cv::Vec3f(0, 0.5f, 1));
  EXPECT_EQ(rgb.at<cv::Vec3f>(1), cv::Vec3f(0.75f, 0.25f, 0.5f));
  EXPECT_EQ(rgb.at<cv::Vec3f>(2), cv::Vec3f(1, 0, 0.5f));
  const cv::Mat rgb_in = random_rgb(8, 8, 10);
  EXPECT_LT(max_abs_diff(rgb_from_network(rgb_to_network(rgb_in)), rgb_in), 1e-6);
  double lo, hi;
  cv::minMaxLoc(rgb_to_network(rgb_in).reshape(1), &lo, &hi);
  EXPECT_GE(lo, -1.0);
  EXPECT_LE(hi, 1.0);
}

TEST(Normalization, WrongTypesAreRejected) {
  const Normalization n;
  EXPECT_THROW(normalize_l(cv::Mat(2, 2, CV_8UC1, cv::Scalar(0)), n), ImageError);
  EXPECT_THROW(normalize_ab(cv::Mat(2, 2, CV_32FC3, cv::Scalar::all(0)), n),
               ImageError);
  EXPECT_THROW(rgb_from_network(cv::Mat(2, 2, CV_32FC2, cv::Scalar::all(0))),
               ImageError);
}

}  // namespace
}  // namespace colorize
