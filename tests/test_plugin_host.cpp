// The plug-in's host-independent part (plugin/colorize-host.h) on GEGL
// buffers in memory, without GIMP: strips, roi, mask, precision, the
// downscaled read for inference, cancel and errors, accepted drawables.

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gegl.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "colorize/model.h"
#include "colorize/pipeline.h"
#include "gegl_buffers.h"
#include "host_model_test.h"
#include "plugin/gimp_run.h"
#include "support.h"

extern "C" {
#include "colorize-host.h"
}

namespace {

using colorize::testing::data_path;
using colorize::testing::TempDir;

using colorize::testing::Buffer;
using colorize::testing::buffer_from;
using colorize::testing::new_buffer;
using colorize::testing::read_buffer;

class PluginHost : public colorize::testing::HostModelTest {
 protected:
  // Runs colorize_buffer; returns TRUE/FALSE and fills *message on error.
  static bool colorize(GeglBuffer *src, GeglBuffer *dst,
                       const GeglRectangle &roi, int strip_rows,
                       GeglBuffer *mask = nullptr,
                       ColorizeProgressFunc progress = nullptr,
                       gpointer data = nullptr, GError **error = nullptr) {
    ColorizeParams params = {0, 1.0, nullptr, 0, 0};
    return colorize_buffer(model_, &params, src, &roi, dst, mask, 0, 0,
                           strip_rows, progress, data, error);
  }

};

TEST_F(PluginHost, ResultDoesNotDependOnStripHeight) {
  cv::Mat rgb = gray_rgb({150, 100});
  Buffer src = buffer_from(rgb, "R'G'B' u8");
  const GeglRectangle all = {0, 0, 150, 100};
  std::vector<cv::Mat> results;
  for (int rows : {7, 33, 256}) {
    Buffer dst = new_buffer(rgb.size(), "R'G'B' u8");
    ASSERT_TRUE(colorize(src.get(), dst.get(), all, rows));
    results.push_back(read_buffer(dst.get(), "R'G'B' u8", CV_8UC3));
  }
  EXPECT_EQ(cv::norm(results[0], results[2], cv::NORM_INF), 0);
  EXPECT_EQ(cv::norm(results[1], results[2], cv::NORM_INF), 0);
  EXPECT_GT(cv::norm(results[2], rgb, cv::NORM_INF), 10);  // colour came in
  // small enough to be read at full size for inference: the core's result
  colorize::Model model = colorize::Model::load(dir_->file("model.pt"));
  EXPECT_LE(cv::norm(results[2], colorize::colorize_image(model, rgb),
                     cv::NORM_INF), 1);
}

TEST_F(PluginHost, WritesOnlyTheRoi) {
  cv::Mat rgb = gray_rgb({150, 100});
  Buffer src = buffer_from(rgb, "R'G'B' u8");
  Buffer full = new_buffer(rgb.size(), "R'G'B' u8");
  ASSERT_TRUE(colorize(src.get(), full.get(), {0, 0, 150, 100}, 16));
  Buffer part = buffer_from(cv::Mat(rgb.size(), CV_8UC3, cv::Scalar(0)),
                            "R'G'B' u8");
  const cv::Rect roi(20, 30, 50, 40);
  ASSERT_TRUE(colorize(src.get(), part.get(),
                       {roi.x, roi.y, roi.width, roi.height}, 16));
  cv::Mat a = read_buffer(full.get(), "R'G'B' u8", CV_8UC3);
  cv::Mat b = read_buffer(part.get(), "R'G'B' u8", CV_8UC3);
  EXPECT_EQ(cv::norm(a(roi), b(roi), cv::NORM_INF), 0);  // same colours
  b(roi).setTo(0);
  EXPECT_EQ(cv::countNonZero(b.reshape(1)), 0);          // nothing else
}

TEST_F(PluginHost, MaskScalesTheWrittenAlphaAndAlphaIsCopied) {
  cv::Mat rgb = gray_rgb({64, 48}), rgba;
  cv::cvtColor(rgb, rgba, cv::COLOR_RGB2RGBA);
  std::vector<cv::Mat> planes;  // alpha ramp 0..252 along x
  cv::split(rgba, planes);
  for (int x = 0; x < 64; ++x) planes[3].col(x).setTo(4 * x);
  cv::merge(planes, rgba);
  Buffer src = buffer_from(rgba, "R'G'B'A u8");

  Buffer copied = new_buffer(rgba.size(), "R'G'B'A u8");
  ASSERT_TRUE(colorize(src.get(), copied.get(), {0, 0, 64, 48}, 10));
  cv::Mat out = read_buffer(copied.get(), "R'G'B'A u8", CV_8UC4);
  cv::Mat alpha;
  cv::extractChannel(out, alpha, 3);
  EXPECT_EQ(cv::norm(alpha, planes[3], cv::NORM_INF), 0);

  Buffer mask = buffer_from(cv::Mat(48, 64, CV_32F, cv::Scalar(0.5)),
                            "Y float");
  Buffer masked = new_buffer(rgba.size(), "R'G'B'A u8");
  ASSERT_TRUE(colorize(src.get(), masked.get(), {0, 0, 64, 48}, 10,
                       mask.get()));
  out = read_buffer(masked.get(), "R'G'B'A u8", CV_8UC4);
  cv::extractChannel(out, alpha, 3);
  cv::Mat half;
  planes[3].convertTo(half, CV_8U, 0.5);
  EXPECT_LE(cv::norm(alpha, half, cv::NORM_INF), 1);
}

TEST_F(PluginHost, KeepsSixteenBitAndFloatPrecision) {
  cv::Mat rgb = gray_rgb({80, 60}), f;
  rgb.convertTo(f, CV_32FC3, 1.0 / 255);
  cv::GaussianBlur(f, f, {5, 5}, 0);  // values between 8-bit steps
  for (const auto &[format, type] :
       std::vector<std::pair<const char *, int>>{{"R'G'B' u16", CV_16UC3},
                                                 {"R'G'B' float", CV_32FC3}}) {
    cv::Mat in;
    f.convertTo(in, type, type == CV_16UC3 ? 65535.0 : 1.0);
    Buffer src = buffer_from(in, format);
    Buffer dst = new_buffer(in.size(), format);
    ASSERT_TRUE(colorize(src.get(), dst.get(), {0, 0, 80, 60}, 16));
    cv::Mat out = read_buffer(dst.get(), format, type);
    colorize::Model model = colorize::Model::load(dir_->file("model.pt"));
    cv::Mat core = colorize::colorize_image(model, in);
    EXPECT_LE(cv::norm(out, core, cv::NORM_INF),
              type == CV_16UC3 ? 1.0 : 1e-5) << format;
  }
}

TEST_F(PluginHost, BigLayerIsReadDownscaledForInference) {
  cv::Mat rgb = gray_rgb({2400, 300});  // working size 64 -> read at ~0.43
  Buffer src = buffer_from(rgb, "R'G'B' u8");
  Buffer dst = new_buffer(rgb.size(), "R'G'B' u8");
  ASSERT_TRUE(colorize(src.get(), dst.get(), {0, 0, 2400, 300}, 64));
  cv::Mat out = read_buffer(dst.get(), "R'G'B' u8", CV_8UC3);
  colorize::Model model = colorize::Model::load(dir_->file("model.pt"));
  cv::Mat core = colorize::colorize_image(model, rgb);
  // a,b from a differently resampled small copy: close, not identical
  cv::Mat diff;
  cv::absdiff(out, core, diff);
  EXPECT_LT(cv::mean(diff.reshape(1))[0], 1.0);
  EXPECT_GT(cv::norm(out, rgb, cv::NORM_INF), 10);
}

gboolean stop_after_first(gdouble fraction, gpointer calls) {
  return ++*static_cast<int *>(calls) < 3 || fraction >= 1.0;
}

TEST_F(PluginHost, ProgressCanCancel) {
  cv::Mat rgb = gray_rgb({100, 100});
  Buffer src = buffer_from(rgb, "R'G'B' u8");
  Buffer dst = new_buffer(rgb.size(), "R'G'B' u8");
  int calls = 0;
  GError *error = nullptr;
  EXPECT_FALSE(colorize(src.get(), dst.get(), {0, 0, 100, 100}, 10, nullptr,
                        stop_after_first, &calls, &error));
  ASSERT_NE(error, nullptr);
  EXPECT_TRUE(g_error_matches(error, COLORIZE_HOST_ERROR,
                              COLORIZE_HOST_ERROR_CANCELLED));
  EXPECT_EQ(calls, 3);
  g_error_free(error);
}

TEST_F(PluginHost, ResolutionOverTheCoreLimitIsRefused) {
  EXPECT_EQ(colorize_max_resolution(), colorize::kMaxResolution);
  cv::Mat rgb = gray_rgb({90, 60});
  Buffer src = buffer_from(rgb, "R'G'B' u8");
  Buffer dst = buffer_from(rgb, "R'G'B' u8");
  const GeglRectangle all = {0, 0, 90, 60};
  ColorizeParams params = {colorize_max_resolution() + 1, 1.0, nullptr, 0, 0};
  GError *error = nullptr;
  EXPECT_FALSE(colorize_buffer(model_, &params, src.get(), &all, dst.get(),
                               nullptr, 0, 0, 0, nullptr, nullptr, &error));
  ASSERT_NE(error, nullptr);
  EXPECT_NE(std::string(error->message).find("more than the limit of 4096"),
            std::string::npos) << error->message;
  g_error_free(error);
  EXPECT_EQ(cv::norm(read_buffer(dst.get(), "R'G'B' u8", CV_8UC3), rgb,
                     cv::NORM_INF), 0);  // nothing written
}

TEST_F(PluginHost, ModelErrorsNameTheFile) {
  GError *error = nullptr;
  const std::string missing = dir_->file("nope.pt");
  EXPECT_EQ(colorize_model_load(missing.c_str(), COLORIZE_DEVICE_CPU, &error),
            nullptr);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, COLORIZE_HOST_ERROR_MODEL);
  EXPECT_NE(std::string(error->message).find(missing), std::string::npos);
  g_clear_error(&error);

  const std::string garbage = dir_->file("garbage.pt");
  g_file_set_contents(garbage.c_str(), "not a model", -1, nullptr);
  EXPECT_EQ(colorize_model_load(garbage.c_str(), COLORIZE_DEVICE_CPU, &error),
            nullptr);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, COLORIZE_HOST_ERROR_MODEL);
  EXPECT_NE(std::string(error->message).find(garbage), std::string::npos);
  g_clear_error(&error);
}

// A model that loads but fails on the image: the message names the model
// pass, not loading.
TEST_F(PluginHost, ModelPassErrorsSayTheModelPassFailed) {
  const std::string failing = dir_->file("failing.pt");
  colorize::testing::write_failing_model(failing);
  GError *error = nullptr;
  ColorizeModel *model =
    colorize_model_load(failing.c_str(), COLORIZE_DEVICE_CPU, &error);
  ASSERT_NE(model, nullptr) << error->message;
  Buffer src = buffer_from(gray_rgb({64, 48}), "R'G'B' u8");
  Buffer dst = new_buffer({64, 48}, "R'G'B' u8");
  const GeglRectangle roi = {0, 0, 64, 48};
  ColorizeParams params = {0, 1.0, nullptr, 0, 0};
  EXPECT_FALSE(colorize_buffer(model, &params, src.get(), &roi, dst.get(),
                               nullptr, 0, 0, 0, nullptr, nullptr, &error));
  colorize_model_free(model);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, COLORIZE_HOST_ERROR_MODEL);
  EXPECT_EQ(std::string(error->message).rfind("The model pass failed: " +
                                              failing + ": ", 0), 0u)
      << error->message;
  g_clear_error(&error);
}

// Which drawables are colorized, decided once for both GIMP hosts.
TEST(PluginHostDrawables, LayerGroupsAndIndexedLayersAndChannelsAreRefused) {
  GError *error = nullptr;
  EXPECT_TRUE(colorize_check_drawable(TRUE, FALSE, FALSE, &error));
  EXPECT_EQ(error, nullptr);
  EXPECT_FALSE(colorize_check_drawable(TRUE, TRUE, FALSE, &error));
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, COLORIZE_HOST_ERROR_IMAGE);
  EXPECT_STREQ(error->message, "Layer groups cannot be colorized; choose a "
                               "layer inside the group.");
  g_clear_error(&error);
  using Flags = std::pair<gboolean, gboolean>;  // is layer, is indexed
  for (const auto &[layer, indexed] : {Flags{FALSE, FALSE}, Flags{TRUE, TRUE}}) {
    EXPECT_FALSE(colorize_check_drawable(layer, FALSE, indexed, &error));
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->code, COLORIZE_HOST_ERROR_IMAGE);
    EXPECT_STREQ(error->message,
                 "Only RGB and grayscale layers can be colorized.");
    g_clear_error(&error);
  }
}

// A gray layer's result buffer is RGB holding its Y' values as they are:
// at strength 0, R = G = B = Y'.
TEST_F(PluginHost, GrayResultBufferKeepsTheGrayValues) {
  cv::Mat gray;
  cv::cvtColor(gray_rgb({64, 48}), gray, cv::COLOR_RGB2GRAY);
  Buffer src = buffer_from(gray, "Y' u8");
  const GeglRectangle roi = {0, 0, 64, 48};
  Buffer result(colorize_result_buffer(src.get(), &roi, FALSE));
  EXPECT_STREQ(babl_get_name(gegl_buffer_get_format(result.get())),
               "R'G'B' u8");
  ColorizeParams params = {0, 0.0, nullptr, 0, 0};
  ASSERT_TRUE(colorize_buffer(model_, &params, src.get(), &roi, result.get(),
                              nullptr, 0, 0, 0, nullptr, nullptr, nullptr));
  cv::Mat out = read_buffer(result.get(), "R'G'B' u8", CV_8UC3), planes[3];
  cv::split(out, planes);
  for (const cv::Mat &plane : planes)
    EXPECT_LE(cv::norm(plane, gray, cv::NORM_INF), 1.0);
}

// The default model: models/colorize-default.pt beside the plug-in, else
// the model search path ($COLORIZE_MODEL_PATH first). The path lookup is
// made once per process, and no other test asks for the default model.
TEST_F(PluginHost, DefaultModelComesFromBesideThePluginOrTheSearchPath) {
  TempDir plugin_dir, search_dir;
  const std::string searched = search_dir.file("colorize-default.pt");
  std::filesystem::copy_file(dir_->file("model.pt"), searched);
  g_setenv("COLORIZE_MODEL_PATH", search_dir.path().c_str(), TRUE);
  colorize_set_plugin_dir(plugin_dir.path().c_str());
  EXPECT_EQ(std::string(colorize_default_model_path()), searched);
  GError *error = nullptr;
  ColorizeModel *model = colorize_model_load(nullptr, COLORIZE_DEVICE_CPU, &error);
  EXPECT_NE(model, nullptr) << (error ? error->message : "");
  g_clear_error(&error);
  if (model) colorize_model_free(model);

  const std::string beside = plugin_dir.file("models/colorize-default.pt");
  std::filesystem::create_directory(plugin_dir.file("models"));
  std::filesystem::copy_file(dir_->file("model.pt"), beside);
  colorize_set_plugin_dir(plugin_dir.path().c_str());
  EXPECT_EQ(std::string(colorize_default_model_path()), beside);
  g_unsetenv("COLORIZE_MODEL_PATH");
}

TEST_F(PluginHost, CudaIsUsedOrRefusedWithADeviceError) {
  GError *error = nullptr;
  ColorizeModel *model = colorize_model_load(
      dir_->file("model.pt").c_str(), COLORIZE_DEVICE_CUDA, &error);
  if (model) {  // a machine with a GPU and a CUDA LibTorch
    EXPECT_EQ(std::string(colorize_model_device_name(model)).rfind("cuda", 0),
              0u);
    colorize_model_free(model);
    return;
  }
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, COLORIZE_HOST_ERROR_DEVICE) << error->message;
  EXPECT_NE(std::string(error->message).find("device"), std::string::npos)
      << error->message;
  g_error_free(error);
}

}  // namespace

// The plug-in process's settings are made by one explicit call of the
// hosts: every core for LibTorch and OpenCV, GEGL's tile cache capped.
TEST_F(PluginHost, SetupUsesEveryCoreAndCapsOnlyALargeTileCache) {
  const guint64 big = guint64(8) << 30, small = guint64(64) << 20;
  guint64 cache = 0;
  colorize::set_cpu_threads(1);
  g_object_set(gegl_config(), "tile-cache-size", big, NULL);
  colorize_host_setup();
  g_object_get(gegl_config(), "tile-cache-size", &cache, NULL);
  EXPECT_EQ(cache, guint64(256) << 20);
  EXPECT_EQ(cv::getNumThreads(), int(std::max(1u, std::thread::hardware_concurrency())));
  g_object_set(gegl_config(), "tile-cache-size", small, NULL);
  colorize_host_setup();
  g_object_get(gegl_config(), "tile-cache-size", &cache, NULL);
  EXPECT_EQ(cache, small);
}
