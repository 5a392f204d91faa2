// What the plug-in's dialog asks of the host-independent part
// (plugin/colorize-host.h), without GIMP: the 100 % preview of a rectangle,
// the model's own resolution, the list of models found by name.

#include <fstream>
#include <string>

#include <gegl.h>
#include <glib.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "colorize/model.h"
#include "gegl_buffers.h"
#include "host_model_test.h"
#include "plugin/gimp_run.h"
#include "support.h"

extern "C" {
#include "colorize-host.h"
}

namespace {

using namespace colorize::testing;

using PluginPreview = HostModelTest;

// The 100 % preview of a rectangle: "before" is the layer's pixels there,
// "after" exactly what colorizing the whole layer writes there.
TEST_F(PluginPreview, AreaShowsTheLayersOwnPixelsAndItsResultThere) {
  cv::Mat rgb = gray_rgb({150, 100});
  Buffer src = buffer_from(rgb, "R'G'B' u8");
  Buffer full = new_buffer(rgb.size(), "R'G'B' u8");
  ColorizeParams params = {0, 1.0, nullptr, 0, 0};
  const GeglRectangle all = {0, 0, 150, 100};
  ASSERT_TRUE(colorize_buffer(model_, &params, src.get(), &all, full.get(),
                              nullptr, 0, 0, 0, nullptr, nullptr, nullptr));
  cv::Mat whole = read_buffer(full.get(), "R'G'B' u8", CV_8UC3);

  const cv::Rect r(20, 30, 60, 40);
  const GeglRectangle area = {r.x, r.y, r.width, r.height};
  guchar *before = nullptr, *after = nullptr;
  GError *error = nullptr;
  ASSERT_TRUE(colorize_preview_area(model_, &params, src.get(), &area,
                                    &before, &after, &error))
      << error->message;
  cv::Mat b(r.height, r.width, CV_8UC4, before), a(r.height, r.width,
                                                    CV_8UC4, after);
  cv::Mat b3, a3, alpha;
  cv::cvtColor(b, b3, cv::COLOR_RGBA2RGB);
  cv::cvtColor(a, a3, cv::COLOR_RGBA2RGB);
  cv::extractChannel(a, alpha, 3);
  EXPECT_EQ(cv::norm(b3, rgb(r), cv::NORM_INF), 0);
  EXPECT_EQ(cv::norm(a3, whole(r), cv::NORM_INF), 0);
  EXPECT_GT(cv::norm(a3, rgb(r), cv::NORM_INF), 10);  // colour came in
  EXPECT_EQ(cv::countNonZero(alpha != 255), 0);
  g_free(before);
  g_free(after);
}

TEST_F(PluginPreview, AreaOfAPlainModelWithHintsIsRefused) {
  cv::Mat rgb(40, 40, CV_8UC3, cv::Scalar::all(128));
  cv::Mat rgba(40, 40, CV_8UC4, cv::Scalar(255, 0, 0, 255));
  Buffer src = buffer_from(rgb, "R'G'B' u8");
  Buffer hints = buffer_from(rgba, "R'G'B'A u8");
  ColorizeParams params = {0, 1.0, hints.get(), 0, 0};
  const GeglRectangle area = {0, 0, 20, 20};
  guchar *before = nullptr, *after = nullptr;
  GError *error = nullptr;
  EXPECT_FALSE(colorize_preview_area(model_, &params, src.get(), &area,
                                     &before, &after, &error));
  ASSERT_NE(error, nullptr);
  EXPECT_NE(std::string(error->message).find("hint"), std::string::npos)
      << error->message;
  EXPECT_EQ(before, nullptr);
  EXPECT_EQ(after, nullptr);
  g_error_free(error);
}

TEST_F(PluginPreview, InputSizeIsTheModelsOwnResolution) {
  colorize::ModelInfo info = colorize::read_model_info(dir_->file("model.pt"));
  EXPECT_EQ(colorize_model_input_size(model_), info.input_size);

  TempDir other;
  colorize::nets::UNetConfig config = tiny_unet();
  colorize::ModelInfo bigger = info_for(config);
  bigger.input_size *= 3;
  write_model(other.file("bigger.pt"), config, bigger);
  ColorizeModel *model = colorize_model_load(
      other.file("bigger.pt").c_str(), COLORIZE_DEVICE_CPU, nullptr);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(colorize_model_input_size(model), bigger.input_size);
  colorize_model_free(model);
}

// The dialog's model list: the models of the search path with their
// descriptions; files whose metadata cannot be read are left out.
TEST_F(PluginPreview, ListsTheModelsOfTheSearchPath) {
  TempDir search;
  colorize::nets::UNetConfig config = tiny_unet();
  colorize::ModelInfo info = info_for(config);
  info.description = "portraits of cats";
  write_model(search.file("cats.pt"), config, info);
  std::ofstream(search.file("broken.pt")) << "not a model";
  g_setenv("COLORIZE_MODEL_PATH", search.path().c_str(), TRUE);

  GPtrArray *models = colorize_list_models();
  int cats = 0, broken = 0;
  for (guint i = 0; i < models->len; ++i) {
    auto *entry = static_cast<ColorizeModelEntry *>(g_ptr_array_index(models, i));
    if (std::string(entry->name) == "cats") {
      ++cats;
      EXPECT_EQ(std::string(entry->path), search.file("cats.pt"));
      EXPECT_STREQ(entry->description, "portraits of cats");
    }
    broken += std::string(entry->name) == "broken";
  }
  EXPECT_EQ(cats, 1);
  EXPECT_EQ(broken, 0);
  g_ptr_array_unref(models);
  g_unsetenv("COLORIZE_MODEL_PATH");
}

}  // namespace
