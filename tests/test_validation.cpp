// Training-time validation scores the colours users get: the network's a,b
// are joined with the photo's own L by core's apply() (trainer/validation.h).
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "colorize/pipeline.h"
#include "metrics.h"
#include "validation.h"

namespace ct = colorize::train;

TEST(Validation, ResultsAreComposedByCoreAndKeepThePhotosLightness) {
  const cv::Mat photo(16, 24, CV_8UC3, cv::Scalar(40, 160, 220));  // BGR: orange
  // a = b = 99 (normalised by 110): far outside the sRGB gamut at this L.
  const cv::Mat output(16, 24, CV_32FC2, cv::Scalar(0.9, 0.9));
  const cv::Mat result = ct::result_bgr8(photo, output, ct::Space::Lab);

  colorize::ApplyOptions options;
  options.order = colorize::ChannelOrder::Bgr;
  cv::Mat expected;
  colorize::apply({cv::Mat(16, 24, CV_32FC2, cv::Scalar(99, 99)), photo.size()}, photo, 0, expected, options);
  EXPECT_EQ(cv::norm(result, expected, cv::NORM_INF), 0.0);

  // Gamut mapping keeps L; clipping each channel (what a plain Lab -> RGB
  // conversion does) would change it by several units.
  EXPECT_LT(ct::mean_l_error(photo, result), 1.0);
  cv::Mat L;
  cv::extractChannel(ct::lab_of(photo), L, 0);
  const cv::Mat clipped = ct::compose_bgr8(L, cv::Mat(L.size(), CV_32FC2, cv::Scalar(99, 99)));
  EXPECT_GT(ct::mean_l_error(photo, clipped), 3.0);
}
