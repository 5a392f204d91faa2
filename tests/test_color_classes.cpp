// The colour classes of the classification head, the quality measures added
// for the recipe study (chroma ripple, L error) and the per-prefix sampling
// of training photos. No networks here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include <opencv2/imgproc.hpp>

#include "ab_bins.h"
#include "colorize/color.h"
#include "data.h"
#include "metrics.h"
#include "options.h"

namespace ct = colorize::train;
using ct::AbBins;

namespace {

TEST(AbBins, GamutClassesLieOnTheTenUnitGridAndCoverSrgb) {
  const AbBins &bins = AbBins::gamut();
  // Zhang et al. count 313 in-gamut classes; the exact number depends on
  // how densely the gamut is sampled.
  EXPECT_GT(bins.size(), 250);
  EXPECT_LT(bins.size(), 340);
  std::set<std::pair<int, int>> seen;
  for (const auto &c : bins.centres()) {
    EXPECT_EQ(std::fmod(c[0], 10.0f), 0.0f);
    EXPECT_EQ(std::fmod(c[1], 10.0f), 0.0f);
    EXPECT_TRUE(seen.insert({int(c[0]), int(c[1])}).second) << "duplicate class";
  }
  // Gray, saturated red, green, blue and yellow all have a class within half
  // a grid step (in each coordinate) of their a,b.
  const cv::Vec3f colours[] = {{0.5f, 0.5f, 0.5f}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}};
  for (const auto &rgb : colours) {
    cv::Mat lab = colorize::rgb_to_lab(cv::Mat(1, 1, CV_32FC3, cv::Scalar(rgb[0], rgb[1], rgb[2])));
    const cv::Vec3f v = lab.at<cv::Vec3f>(0, 0);
    const cv::Vec2f c = bins.centres()[bins.nearest(v[1], v[2])];
    EXPECT_LE(std::abs(c[0] - v[1]), 5.01f) << "a of " << rgb;
    EXPECT_LE(std::abs(c[1] - v[2]), 5.01f) << "b of " << rgb;
  }
}

TEST(AbBins, SoftEncodingIsGaussianOverTheFiveNearestClasses) {
  const AbBins &bins = AbBins::gamut();
  int32_t index[AbBins::kNeighbours];
  float weight[AbBins::kNeighbours];
  const float a = 13.0f, b = -21.0f;  // well inside the gamut
  bins.soft_encode(a, b, index, weight);
  EXPECT_NEAR(std::accumulate(weight, weight + AbBins::kNeighbours, 0.0), 1.0, 1e-6);
  std::vector<double> d2;
  for (int k = 0; k < AbBins::kNeighbours; ++k) {
    const auto &c = bins.centres()[index[k]];
    d2.push_back((a - c[0]) * (a - c[0]) + (b - c[1]) * (b - c[1]));
  }
  // Nearest first, and no other class is nearer than the fifth.
  EXPECT_TRUE(std::is_sorted(d2.begin(), d2.end()));
  EXPECT_EQ(bins.centres()[index[0]], cv::Vec2f(10, -20));
  for (const auto &c : bins.centres()) {
    const double d = (a - c[0]) * (a - c[0]) + (b - c[1]) * (b - c[1]);
    EXPECT_TRUE(d >= d2.back() - 1e-3 || std::count_if(index, index + 5, [&](int i) {
                  return bins.centres()[i] == c;
                }) == 1);
  }
  // Weight ratios follow exp(-d^2 / (2 sigma^2)), sigma = 5.
  for (int k = 1; k < AbBins::kNeighbours; ++k)
    EXPECT_NEAR(weight[k] / weight[0], std::exp(-(d2[k] - d2[0]) / 50.0), 1e-5);
}

TEST(AbBins, RebalancingFavoursRareColoursAndAveragesOneUnderThePrior) {
  const AbBins &bins = AbBins::gamut();
  std::vector<double> uniform(bins.size(), 1.0);
  for (float w : bins.rebalance(uniform)) EXPECT_NEAR(w, 1.0, 0.35);  // edge classes smooth differently

  // Most pixels gray, a few saturated red.
  std::vector<double> counts(bins.size(), 0.0);
  const int gray = bins.nearest(0, 0), red = bins.nearest(70, 60);
  counts[gray] = 1e6;
  counts[red] = 1e3;
  const auto w = bins.rebalance(counts);
  EXPECT_GT(w[red], 5 * w[gray]);
  EXPECT_LT(w[gray], 1.0);
  // A classes-only mix ignores the prior: every weight is 1.
  for (float v : bins.rebalance(counts, 1.0)) EXPECT_NEAR(v, 1.0, 1e-5);
}

TEST(AbBins, SoftEncodingAtAndBeyondTheGamutEdgeFindsTheTrueNearestClasses) {
  const AbBins &bins = AbBins::gamut();
  for (const cv::Vec2f &p : {cv::Vec2f(200, 200), cv::Vec2f(-95, 98), cv::Vec2f(80, -110), cv::Vec2f(101, 3)}) {
    int32_t index[AbBins::kNeighbours];
    float weight[AbBins::kNeighbours];
    bins.soft_encode(p[0], p[1], index, weight);
    double sum = 0;
    for (float w : weight) {
      EXPECT_TRUE(std::isfinite(w));
      sum += w;
    }
    EXPECT_NEAR(sum, 1.0, 1e-5) << p;
    // Brute force: the 5 smallest distances.
    std::vector<float> d;
    for (const auto &c : bins.centres()) d.push_back((p[0] - c[0]) * (p[0] - c[0]) + (p[1] - c[1]) * (p[1] - c[1]));
    std::sort(d.begin(), d.end());
    for (int k = 0; k < AbBins::kNeighbours; ++k) {
      const auto &c = bins.centres()[index[k]];
      EXPECT_NEAR((p[0] - c[0]) * (p[0] - c[0]) + (p[1] - c[1]) * (p[1] - c[1]), d[k], 1e-2) << p << " k " << k;
    }
  }
}

TEST(Metrics, ChromaRippleSeesColourNoiseOnlyInFlatAreas) {
  // A flat mid-gray picture: no ripple.
  cv::Mat flat(64, 64, CV_8UC3, cv::Scalar(128, 128, 128));
  EXPECT_LT(ct::chroma_ripple(flat), 0.05);
  // The same with a red/blue checkerboard of small amplitude in colour
  // (lightness nearly flat): ripple of several Lab units.
  cv::Mat checker = flat.clone();
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x)
      checker.at<cv::Vec3b>(y, x) = (x + y) % 2 ? cv::Vec3b(136, 126, 122) : cv::Vec3b(120, 130, 134);
  EXPECT_GT(ct::chroma_ripple(checker), 3.0);
  // Strong lightness texture: no flat pixel, so nothing is measured.
  cv::Mat texture(64, 64, CV_8UC3);
  cv::randu(texture, 0, 255);
  EXPECT_EQ(ct::chroma_ripple(texture), 0.0);
}

TEST(Metrics, LErrorIsTheMeanLightnessChange) {
  cv::Mat a(16, 16, CV_8UC3, cv::Scalar(100, 100, 100)), b(16, 16, CV_8UC3, cv::Scalar(110, 110, 110));
  EXPECT_EQ(ct::mean_l_error(a, a), 0.0);
  const double expected = ct::lab_of(b).at<cv::Vec3f>(0, 0)[0] - ct::lab_of(a).at<cv::Vec3f>(0, 0)[0];
  EXPECT_NEAR(ct::mean_l_error(a, b), expected, 1e-4);
  EXPECT_GT(expected, 2.0);
}

TEST(PrefixWeights, SourcePrefixAndParsing) {
  EXPECT_EQ(ct::source_prefix("/data/extra/utk_00012.jpg"), "utk");
  EXPECT_EQ(ct::source_prefix("imnet200-x.png"), "imnet200");
  EXPECT_EQ(ct::source_prefix("photo.jpg"), "photo");
  const auto w = ct::parse_prefix_weights("utk=0.25,catdog=2");
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].first, "utk");
  EXPECT_EQ(w[0].second, 0.25);
  EXPECT_EQ(w[1].second, 2.0);
  EXPECT_TRUE(ct::parse_prefix_weights("").empty());
  for (const char *bad : {"utk", "=1", "utk=", "utk=x", "utk=-1", "utk=0.5x"})
    EXPECT_THROW(ct::parse_prefix_weights(bad), ct::UsageError) << bad;
}

TEST(PrefixWeights, EpochsShowEachPhotoAsOftenAsItsWeight) {
  // Four photos of three sources, tiny so batches build fast.
  std::vector<ct::Photo> photos;
  for (const char *name : {"a_1.jpg", "a_2.jpg", "face_1.jpg", "twice_1.jpg"})
    photos.push_back({name, cv::Mat(8, 8, CV_8UC3, cv::Scalar(10, 200, 30))});
  ct::apply_prefix_weights(photos, "face=0.25,twice=2");
  EXPECT_EQ(photos[0].weight, 1.0);
  EXPECT_EQ(photos[2].weight, 0.25);
  EXPECT_EQ(photos[3].weight, 2.0);
  // One photo per batch: the batch count of an epoch is the number of
  // appearances, and every appearance is one batch.
  ct::BatchLoader loader(photos, 8, 1, ct::Space::Lab, 3, 1);
  EXPECT_EQ(loader.batches_per_epoch(), 4);  // 1 + 1 + 0.25 + 2 = 4.25
  const int epochs = 400;
  int total = 0;
  for (int e = 0; e < epochs; ++e) {
    const int n = loader.start_epoch(e);
    EXPECT_TRUE(n == 4 || n == 5) << n;
    ct::Batch b;
    int got = 0;
    while (loader.next(b)) ++got;
    EXPECT_EQ(got, n);
    total += n;
  }
  // 4 appearances every epoch plus the face photo in about 1 epoch of 4.
  EXPECT_NEAR(double(total - 4 * epochs) / epochs, 0.25, 0.07);
}

TEST(ClassTargets, BatchesCarrySoftTargetsOfEveryOtherHalfResolutionPixel) {
  cv::Mat bgr(32, 32, CV_8UC3);
  cv::randu(bgr, 0, 255);
  cv::GaussianBlur(bgr, bgr, cv::Size(5, 5), 1.5);
  const ct::Example e = ct::make_example(bgr, ct::Space::Lab);
  const ct::Batch b = ct::make_batch({e, e}, true);
  const size_t cells = 8 * 8, k = AbBins::kNeighbours;
  ASSERT_EQ(b.class_index.size(), 2 * k * cells);
  ASSERT_EQ(b.class_weight.size(), 2 * k * cells);
  const cv::Mat half = ct::half_resolution_ab(e);
  ASSERT_EQ(half.size(), cv::Size(16, 16));
  for (size_t p = 0; p < cells; ++p) {
    double sum = 0;
    for (size_t j = 0; j < k; ++j) sum += b.class_weight[j * cells + p];
    EXPECT_NEAR(sum, 1.0, 1e-5);
    // Cell (y, x) is the half-resolution pixel (2y, 2x).
    const cv::Vec2f v = half.at<cv::Vec2f>(int(2 * (p / 8)), int(2 * (p % 8)));
    EXPECT_EQ(b.class_index[p], AbBins::gamut().nearest(v[0], v[1]));
    // The second example's targets follow the first's.
    EXPECT_EQ(b.class_index[k * cells + p], b.class_index[p]);
  }
  EXPECT_TRUE(ct::make_batch({e}).class_index.empty());
}

}  // namespace
