// The two-phase pipeline (core/pipeline.cpp): working_size() and apply()
// with synthetic a,b maps (test_infer.cpp has the parts that need a model).
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "colorize/color.h"
#include "colorize/error.h"
#include "colorize/pipeline.h"
#include "pipeline_helpers.h"

namespace colorize {
namespace {

using namespace colorize::testing;

// ------------------------------------------------------------ working_size

TEST(WorkingSize, ShortSideIsResolutionLongSideCapped) {
  EXPECT_EQ(working_size({6000, 4000}, 256), cv::Size(384, 256));
  EXPECT_EQ(working_size({4000, 6000}, 256), cv::Size(256, 384));
  EXPECT_EQ(working_size({1000, 1000}, 300), cv::Size(300, 300));
  EXPECT_EQ(working_size({1, 1}, 256), cv::Size(256, 256));
  EXPECT_EQ(working_size({3, 7000}, 256), cv::Size(256, 1024));
  EXPECT_EQ(working_size({7000, 3}, 256), cv::Size(1024, 256));
  EXPECT_EQ(working_size({1000, 3000}, 100), cv::Size(100, 300));
  EXPECT_EQ(working_size({641, 480}, 256), cv::Size(342, 256));  // rounded
  EXPECT_EQ(working_size({5, 3}, 1), cv::Size(2, 1));
}

TEST(InferReadPlan, WorkingSizeFromTheModelOrTheOptions) {
  ModelInfo info;
  info.input_size = 128;
  InferOptions options;
  EXPECT_EQ(working_resolution(info, options), 128);
  const InferReadPlan plan = plan_infer_read(info, {6000, 4000}, options);
  EXPECT_EQ(plan.work, cv::Size(192, 128));
  // Twice the working size, one scale for both axes.
  EXPECT_DOUBLE_EQ(plan.scale, 2.0 * 128 / 4000);
  EXPECT_EQ(plan.read, cv::Size(384, 256));

  options.resolution = 256;
  EXPECT_EQ(working_resolution(info, options), 256);
  EXPECT_EQ(plan_infer_read(info, {6000, 4000}, options).read, cv::Size(768, 512));
}

TEST(InferReadPlan, NeverReadsMoreThanThePicture) {
  ModelInfo info;
  info.input_size = 256;
  const InferReadPlan small = plan_infer_read(info, {300, 200}, {});
  EXPECT_EQ(small.work, cv::Size(384, 256));
  EXPECT_DOUBLE_EQ(small.scale, 1.0);
  EXPECT_EQ(small.read, cv::Size(300, 200));
  // A long strip capped at 4 x the resolution: the scale follows the axis
  // that needs more, and the read is never empty.
  const InferReadPlan strip = plan_infer_read(info, {40000, 10}, {});
  EXPECT_EQ(strip.work, cv::Size(1024, 256));
  EXPECT_DOUBLE_EQ(strip.scale, 1.0);
  const InferReadPlan wide = plan_infer_read(info, {100000, 1000}, {});
  EXPECT_EQ(wide.read, cv::Size(51200, 512));
}

TEST(InferReadPlan, BadArguments) {
  ModelInfo info;
  InferOptions options;
  options.resolution = -1;
  EXPECT_THROW(working_resolution(info, options), Error);
  options.resolution = kMaxResolution + 1;
  EXPECT_THROW(plan_infer_read(info, {10, 10}, options), Error);
  EXPECT_THROW(plan_infer_read(info, {0, 10}, {}), ImageError);
}

TEST(WorkingSize, BadArguments) {
  EXPECT_THROW(working_size({0, 10}, 256), ImageError);
  EXPECT_THROW(working_size({10, 10}, 0), Error);
  EXPECT_THROW(working_size({10, 10}, -5), Error);
}

// -------------------------------------------------- apply: every input type

class ApplyTypes : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(ApplyTypes, KeepsSizeDepthLuminanceAndAlpha) {
  const auto [depth, channels] = GetParam();
  const cv::Mat in = test_image({53, 37}, depth, channels, 11);
  for (double strength : {1.0, 2.0}) {
    // Strong colours: |a|, |b| up to 100, doubled at strength 2; much of it
    // is out of gamut and must lose chroma, not luminance.
    const AbMap map = test_map({16, 11}, in.size(), 100.0, 12);
    ApplyOptions options;
    options.strength = strength;
    const cv::Mat out = apply_whole(map, in, options);
    ASSERT_EQ(out.size(), in.size());
    ASSERT_EQ(out.depth(), in.depth());
    const bool alpha = channels == 2 || channels == 4;
    ASSERT_EQ(out.channels(), alpha ? 4 : 3);
    EXPECT_LE(l_error(in, out), l_tolerance(depth)) << "strength " << strength;
    EXPECT_LE(l_mean_error(in, out), l_tolerance(depth) / 4)
        << "strength " << strength;
    if (alpha) {
      EXPECT_TRUE(identical(alpha_of(in), alpha_of(out)));
    }
    // And it is coloured: the result is not just gray.
    std::vector<cv::Mat> planes;
    cv::split(out, planes);
    cv::Mat rg;
    cv::absdiff(planes[0], planes[1], rg);
    const double unit = depth == CV_8U ? 255 : depth == CV_16U ? 65535 : 1;
    EXPECT_GT(max_of(rg) / unit, 0.2);
  }
}

INSTANTIATE_TEST_SUITE_P(
    DepthsAndChannels, ApplyTypes,
    ::testing::Combine(::testing::Values(CV_8U, CV_16U, CV_32F),
                       ::testing::Values(1, 2, 3, 4)));

TEST(Apply, ReproducesInGamutColours) {
  // A mid-gray picture and a constant, moderate a,b: the output's a,b must
  // be the map's (8-bit Lab quantises a,b to whole units).
  for (int depth : {CV_8U, CV_16U, CV_32F}) {
    const double unit = depth == CV_8U ? 255 : depth == CV_16U ? 65535 : 1;
    const cv::Mat in(20, 30, CV_MAKETYPE(depth, 3), cv::Scalar::all(0.47 * unit));
    AbMap map;
    map.ab = cv::Mat(4, 5, CV_32FC2, cv::Scalar(20.0, -15.0));
    map.image_size = in.size();
    const cv::Mat out = apply_whole(map, in);
    cv::Mat f;
    out.convertTo(f, CV_32F, 1.0 / unit);
    const cv::Mat lab = rgb_to_lab(f);
    const cv::Scalar mean = cv::mean(lab);
    EXPECT_NEAR(mean[1], 20.0, 1.0) << "depth " << depth;
    EXPECT_NEAR(mean[2], -15.0, 1.0) << "depth " << depth;
    EXPECT_LE(l_error(in, out), l_tolerance(depth));
  }
}

TEST(Apply, UpsamplesLikeBicubicResize) {
  // The strip-wise upsampling samples the map where cv::resize(INTER_CUBIC)
  // of the whole map would: a mid-gray float picture must come out with
  // exactly those a,b (up to the Lab measurement's own error).
  const cv::Mat in(80, 120, CV_32FC3, cv::Scalar::all(0.5));
  AbMap map;  // independent random values: steep, so shifts show
  map.ab.create(8, 12, CV_32FC2);
  cv::RNG(40).fill(map.ab, cv::RNG::UNIFORM, -15.0, 15.0);  // in gamut
  map.image_size = in.size();
  cv::Mat expected;
  cv::resize(map.ab, expected, in.size(), 0, 0, cv::INTER_CUBIC);
  const cv::Mat lab = rgb_to_lab(apply_in_strips(map, in, 7));
  cv::Mat ab(lab.size(), CV_32FC2);
  const int from_to[] = {1, 0, 2, 1};
  cv::mixChannels(&lab, 1, &ab, 1, from_to, 2);
  EXPECT_LT(cv::norm(ab, expected, cv::NORM_INF), 0.6);
  EXPECT_LT(cv::norm(ab, expected, cv::NORM_L1) / ab.total(), 0.3);
  // A map shifted by half an output pixel would be far off.
  cv::Mat shifted;
  const cv::Mat m = (cv::Mat_<double>(2, 3) << 1, 0, 0.5, 0, 1, 0.5);
  cv::warpAffine(expected, shifted, m, expected.size(), cv::INTER_LINEAR,
                 cv::BORDER_REPLICATE);
  EXPECT_GT(cv::norm(ab, shifted, cv::NORM_INF), 1.5);
  EXPECT_GT(cv::norm(ab, shifted, cv::NORM_L1) / ab.total(), 0.8);
}

TEST(Apply, StrengthScalesChroma) {
  const cv::Mat in(10, 10, CV_32FC3, cv::Scalar::all(0.5));
  AbMap map;
  map.ab = cv::Mat(2, 2, CV_32FC2, cv::Scalar(10.0, 12.0));
  map.image_size = in.size();
  ApplyOptions options;
  options.strength = 1.5;
  const cv::Mat lab = rgb_to_lab(apply_whole(map, in, options));
  const cv::Mat lab1 = rgb_to_lab(apply_whole(map, in));
  // (rgb_to_lab, OpenCV's float Lab, measures to a few tenths.)
  EXPECT_NEAR(lab.at<cv::Vec3f>(5, 5)[1], 15.0, 0.3);
  EXPECT_NEAR(lab.at<cv::Vec3f>(5, 5)[2], 18.0, 0.3);
  EXPECT_NEAR(lab.at<cv::Vec3f>(5, 5)[1] / lab1.at<cv::Vec3f>(5, 5)[1], 1.5, 0.02);
  EXPECT_NEAR(lab.at<cv::Vec3f>(5, 5)[2] / lab1.at<cv::Vec3f>(5, 5)[2], 1.5, 0.02);
}

TEST(Apply, StrengthZeroIsGray) {
  for (int depth : {CV_8U, CV_16U, CV_32F}) {
    const cv::Mat in = test_image({40, 30}, depth, 3, 13);
    const AbMap map = test_map({8, 6}, in.size(), 80.0, 14);
    ApplyOptions options;
    options.strength = 0.0;
    const cv::Mat out = apply_whole(map, in, options);
    std::vector<cv::Mat> p;
    cv::split(out, p);
    const double tol = depth == CV_8U ? 1.0 : depth == CV_16U ? 2.0 : 1e-4;
    EXPECT_LE(cv::norm(p[0], p[1], cv::NORM_INF), tol) << "depth " << depth;
    EXPECT_LE(cv::norm(p[1], p[2], cv::NORM_INF), tol) << "depth " << depth;
    EXPECT_LE(l_error(in, out), l_tolerance(depth));
  }
}

TEST(Apply, StripsGiveBitIdenticalResults) {
  for (int depth : {CV_8U, CV_16U, CV_32F}) {
    const cv::Mat in = test_image({301, 97}, depth, 4, 15);
    // Map taller than some strips, shorter than others; non-integer scales.
    const AbMap map = test_map({23, 9}, in.size(), 60.0, 16);
    const cv::Mat whole = apply_whole(map, in);
    for (int strip : {1, 7, 256}) {
      EXPECT_TRUE(identical(whole, apply_in_strips(map, in, strip)))
          << "depth " << depth << ", strips of " << strip;
    }
  }
}

TEST(Apply, MapLargerThanImage) {
  // A 7000x3 picture's map is 1024x256: apply samples it down.
  const cv::Mat in = test_image({700, 3}, CV_8U, 3, 17);
  const AbMap map = test_map({1024, 256}, in.size(), 50.0, 18);
  const cv::Mat out = apply_whole(map, in);
  EXPECT_EQ(out.size(), in.size());
  EXPECT_LE(l_error(in, out), l_tolerance(CV_8U));
  EXPECT_TRUE(identical(out, apply_in_strips(map, in, 1)));
}

TEST(Apply, BgrOrderGivesSwappedChannels) {
  for (int depth : {CV_8U, CV_32F}) {
    const cv::Mat rgb = test_image({64, 48}, depth, 3, 19);
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    const AbMap map = test_map({8, 6}, rgb.size(), 60.0, 20);
    ApplyOptions options;
    options.order = ChannelOrder::Bgr;
    const cv::Mat out_bgr = apply_whole(map, bgr, options);
    cv::Mat swapped;
    cv::cvtColor(out_bgr, swapped, cv::COLOR_BGR2RGB);
    const cv::Mat out_rgb = apply_whole(map, rgb);
    const double tol = depth == CV_8U ? 1.0 : 1e-5;
    EXPECT_LE(cv::norm(swapped, out_rgb, cv::NORM_INF), tol) << "depth " << depth;
    EXPECT_LE(l_error(bgr, out_bgr, ChannelOrder::Bgr), l_tolerance(depth));
  }
}

TEST(Apply, OutputMayAliasInput) {
  for (int channels : {3, 4}) {
    const cv::Mat in = test_image({50, 40}, CV_8U, channels, 21);
    const AbMap map = test_map({8, 6}, in.size(), 60.0, 22);
    const cv::Mat expected = apply_whole(map, in);
    cv::Mat image = in.clone();
    const uchar *data = image.data;
    apply(map, image, 0, image);
    EXPECT_EQ(image.data, data) << "in place, no reallocation";
    EXPECT_TRUE(identical(image, expected)) << channels << " channels";
    // A strip of a bigger picture, in place.
    cv::Mat image2 = in.clone();
    cv::Mat strip = image2.rowRange(10, 30);
    apply(map, strip, 10, strip);
    EXPECT_TRUE(identical(image2.rowRange(10, 30), expected.rowRange(10, 30)));
    EXPECT_TRUE(identical(image2.rowRange(0, 10), in.rowRange(0, 10)));
  }
}

TEST(Apply, Deterministic) {
  const cv::Mat in = test_image({120, 80}, CV_8U, 3, 23);
  const AbMap map = test_map({12, 8}, in.size(), 60.0, 24);
  EXPECT_TRUE(identical(apply_whole(map, in), apply_whole(map, in)));
}

TEST(Apply, RefineKeepsLuminanceAndChangesColours) {
  const cv::Mat in = test_image({120, 80}, CV_8U, 3, 25);
  const AbMap map = test_map({12, 8}, in.size(), 40.0, 26);
  ApplyOptions options;
  options.refine = true;
  const cv::Mat refined = apply_whole(map, in, options);
  EXPECT_EQ(refined.size(), in.size());
  EXPECT_LE(l_error(in, refined), l_tolerance(CV_8U));
  EXPECT_GT(cv::norm(refined, apply_whole(map, in), cv::NORM_INF), 0.0)
      << "refinement must do something";
}

TEST(Apply, BadArgumentsAreRejected) {
  const cv::Mat in = test_image({20, 10}, CV_8U, 3, 27);
  const AbMap map = test_map({4, 2}, in.size(), 10.0, 28);
  cv::Mat out;
  EXPECT_THROW(apply(map, cv::Mat(10, 20, CV_8SC3, cv::Scalar::all(0)), 0, out),
               ImageError);
  EXPECT_THROW(apply(map, cv::Mat(10, 20, CV_8UC(5), cv::Scalar::all(0)), 0, out),
               ImageError);
  EXPECT_THROW(apply(map, cv::Mat(), 0, out), ImageError);
  EXPECT_THROW(apply(map, in.colRange(0, 19), 0, out), ImageError);  // width
  EXPECT_THROW(apply(map, in.rowRange(0, 5), 6, out), ImageError);   // past end
  EXPECT_THROW(apply(map, in.rowRange(0, 5), -1, out), ImageError);
  AbMap empty;
  empty.image_size = in.size();
  EXPECT_THROW(apply(empty, in, 0, out), ImageError);
  ApplyOptions strong;
  strong.strength = 2.5;
  EXPECT_THROW(apply(map, in, 0, out, strong), Error);
  strong.strength = -0.1;
  EXPECT_THROW(apply(map, in, 0, out, strong), Error);
}

}  // namespace
}  // namespace colorize
