// A GoogleTest fixture for the plug-in host tests: GEGL started and one
// small colour model (plugin/gimp_run.h) loaded through the host, shared by
// the tests of a suite; gray_rgb() makes gray pictures of a fixture photo.
#pragma once

#include <gegl.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "plugin/gimp_run.h"
#include "support.h"

extern "C" {
#include "colorize-host.h"
}

namespace colorize::testing {

class HostModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gegl_init(nullptr, nullptr);
    dir_ = new TempDir;
    write_color_model(dir_->file("model.pt"));
    GError *error = nullptr;
    model_ = colorize_model_load(dir_->file("model.pt").c_str(),
                                 COLORIZE_DEVICE_CPU, &error);
    ASSERT_NE(model_, nullptr) << error->message;
  }
  static void TearDownTestSuite() {
    colorize_model_free(model_);
    delete dir_;
  }

  // A gray picture (RGB, R = G = B) of `size` from a fixture.
  static cv::Mat gray_rgb(cv::Size size) {
    cv::Mat photo = cv::imread(data_path("chelsea.png"), cv::IMREAD_COLOR);
    cv::Mat small, gray, rgb;
    cv::resize(photo, small, size, 0, 0, cv::INTER_AREA);
    cv::cvtColor(small, gray, cv::COLOR_BGR2GRAY);
    cv::cvtColor(gray, rgb, cv::COLOR_GRAY2RGB);
    return rgb;
  }

  static inline TempDir *dir_ = nullptr;
  static inline ColorizeModel *model_ = nullptr;
};

}  // namespace colorize::testing
