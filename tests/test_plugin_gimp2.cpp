// End-to-end tests of the GIMP 2.10 plug-in with real, headless GIMP.
//
// One GIMP run executes every case of tests/plugin/cases.scm (GIMP starts
// in seconds; the cases in a fraction of that); a second run checks the
// German error message. GIMP 2.10's exit code is always 0, so the tests
// read the exported PNGs and the "CASE ..." lines the script prints.
// Skipped, visibly, when gimp-console-2.10 is not installed.

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "colorize/model.h"
#include "colorize/pipeline.h"
#include "plugin/gimp_run.h"

namespace {

using colorize::testing::GimpRun;
using colorize::testing::l_difference;
using colorize::testing::lab_of;

const cv::Rect kRect(40, 30, 60, 50);  // the "rect" case's selection

cv::Mat read(const std::string &path) {
  cv::Mat m = cv::imread(path, cv::IMREAD_UNCHANGED);
  EXPECT_FALSE(m.empty()) << "missing or unreadable output " << path;
  return m;
}

// Mean a,b magnitude (chroma) over the pixels where `where` is non-zero.
double mean_chroma(const cv::Mat &image, const cv::Mat &where = {}) {
  std::vector<cv::Mat> lab;
  cv::split(lab_of(image), lab);
  cv::Mat chroma;
  cv::magnitude(lab[1], lab[2], chroma);
  return cv::mean(chroma, where)[0];
}

bool identical(const cv::Mat &a, const cv::Mat &b) {
  return a.size() == b.size() && a.type() == b.type() &&
         cv::norm(a, b, cv::NORM_INF) == 0;
}

// Per-pixel "differs" mask (any channel).
cv::Mat changed(const cv::Mat &a, const cv::Mat &b) {
  cv::Mat d;
  cv::absdiff(a, b, d);
  d = d.reshape(1, a.rows * a.cols);
  cv::reduce(d, d, 1, cv::REDUCE_MAX);
  return d.reshape(1, a.rows) > 0;
}

class Gimp2Plugin : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    run_ = std::make_unique<GimpRun>();
    if (run_->available())
      log_ = run_->run_cases();
  }
  static void TearDownTestSuite() { run_.reset(); }

  void SetUp() override {
    if (!run_->available())
      GTEST_SKIP() << "gimp-console-2.10 is not installed: GIMP 2.10 "
                      "end-to-end tests skipped";
    ASSERT_NE(log_.find("batch command executed successfully"),
              std::string::npos) << log_;
  }

  static cv::Mat input(const std::string &name) {
    return read(run_->in(name));
  }
  static cv::Mat output(const std::string &name) {
    return read(run_->out(name));
  }
  // What the core alone makes of `image` with the test model. The inputs
  // are small (120 rows, working size 64), so the plug-in reads them at
  // full size for inference too and its result must match this.
  static cv::Mat core_result(const cv::Mat &image) {
    colorize::Model model = colorize::Model::load(run_->model());
    colorize::InferOptions infer;
    infer.order = colorize::ChannelOrder::Bgr;
    colorize::ApplyOptions apply;
    apply.order = colorize::ChannelOrder::Bgr;
    return colorize::colorize_image(model, image, infer, apply);
  }
  static bool logged(const std::string &line) {
    return log_.find(line) != std::string::npos;
  }

  static std::unique_ptr<GimpRun> run_;
  static std::string log_;
};

std::unique_ptr<GimpRun> Gimp2Plugin::run_;
std::string Gimp2Plugin::log_;

TEST_F(Gimp2Plugin, ProcedureIsRegistered) {
  EXPECT_TRUE(logged("PROC exists 1")) << log_;
}

TEST_F(Gimp2Plugin, WholeLayerIsColorizedAndKeepsLightness) {
  ASSERT_TRUE(logged("CASE whole ok")) << log_;
  cv::Mat in = input("gray.png"), out = output("whole.png");
  ASSERT_EQ(out.size(), in.size());
  EXPECT_LT(mean_chroma(in), 0.5);
  EXPECT_GT(mean_chroma(out), 2.0);
  auto [mean, max] = l_difference(in, out);
  EXPECT_LT(mean, 0.5);
  EXPECT_LT(max, 3.0);
  EXPECT_LE(cv::norm(out, core_result(in), cv::NORM_INF), 1.0);
}

TEST_F(Gimp2Plugin, RepeatRunsWithTheDefaultValues) {
  ASSERT_TRUE(logged("CASE last-values ok")) << log_;
  // default model = the test model (beside the plug-in), strength 1, replace
  EXPECT_TRUE(identical(output("whole.png"), output("last-values.png")));
}

TEST_F(Gimp2Plugin, RectangleSelectionChangesOnlyTheSelection) {
  ASSERT_TRUE(logged("CASE rect ok")) << log_;
  cv::Mat in = input("gray.png"), out = output("rect.png");
  ASSERT_EQ(out.size(), in.size());
  cv::Mat outside(in.size(), CV_8U, cv::Scalar(255));
  outside(kRect).setTo(0);
  cv::Mat diff = changed(in, out);
  EXPECT_EQ(cv::countNonZero(diff & outside), 0);
  EXPECT_GT(cv::countNonZero(diff(kRect)), kRect.area() / 2);
}

TEST_F(Gimp2Plugin, FeatheredSelectionBlendsProportionally) {
  ASSERT_TRUE(logged("CASE feather ok")) << log_;
  cv::Mat in = input("gray.png"), full = output("whole.png");
  cv::Mat out = output("feather.png");
  ASSERT_EQ(out.size(), in.size());
  // far from the rectangle (more than the feather radius): untouched
  cv::Mat far(in.size(), CV_8U, cv::Scalar(255));
  far(cv::Rect(kRect.x - 20, kRect.y - 20, kRect.width + 40,
               kRect.height + 40)).setTo(0);
  EXPECT_EQ(cv::countNonZero(changed(in, out) & far), 0);
  // partly selected pixels: between input and full colorization
  cv::Mat partial = changed(in, out) & changed(full, out);
  EXPECT_GT(cv::countNonZero(partial), 100);
  cv::Mat d_out, d_full;
  cv::absdiff(out, in, d_out);
  cv::absdiff(full, in, d_full);
  cv::Mat over = (d_out.reshape(1) > d_full.reshape(1) + 2);
  EXPECT_EQ(cv::countNonZero(over), 0);
}

TEST_F(Gimp2Plugin, AlphaIsUntouched) {
  ASSERT_TRUE(logged("CASE alpha ok")) << log_;
  cv::Mat in = input("alpha.png"), out = output("alpha-out.png");
  ASSERT_EQ(out.type(), CV_8UC4);
  std::vector<cv::Mat> pin, pout;
  cv::split(in, pin);
  cv::split(out, pout);
  EXPECT_TRUE(identical(pin[3], pout[3]));
  EXPECT_GT(mean_chroma(out, pout[3] > 0), 2.0);
}

TEST_F(Gimp2Plugin, GrayImageIsConvertedToRgbAndColorized) {
  ASSERT_TRUE(logged("CASE graymode ok")) << log_;
  EXPECT_TRUE(logged("GRAYMODE base-type-rgb yes")) << log_;
  cv::Mat in = input("graymode.png"), out = output("graymode-out.png");
  ASSERT_EQ(in.channels(), 1);
  ASSERT_EQ(out.channels(), 3);
  EXPECT_GT(mean_chroma(out), 2.0);
  // the same lightness tolerance as for RGB images ("whole")
  auto [mean, max] = l_difference(in, out);
  EXPECT_LT(mean, 0.5);
  EXPECT_LT(max, 3.0);
}

TEST_F(Gimp2Plugin, SixteenBitImageKeepsItsPrecision) {
  ASSERT_TRUE(logged("CASE rgb16 ok")) << log_;
  cv::Mat in = input("rgb16.png"), out = output("rgb16-out.png");
  ASSERT_EQ(out.depth(), CV_16U);
  EXPECT_GT(mean_chroma(out), 2.0);
  auto [mean, max] = l_difference(in, out);
  EXPECT_LT(mean, 0.1);
  EXPECT_LT(max, 0.3);
  // the core's own result on the same pixels, to the last 16-bit unit
  EXPECT_LE(cv::norm(out, core_result(in), cv::NORM_INF), 1.0);
  // values an 8-bit round trip could not produce
  cv::Mat rem;
  cv::Mat(out.reshape(1)).convertTo(rem, CV_32S);
  int fine = 0;
  for (auto it = rem.begin<int>(); it != rem.end<int>(); ++it)
    fine += (*it % 257) != 0;
  EXPECT_GT(fine, static_cast<int>(rem.total() / 2));
}

TEST_F(Gimp2Plugin, FloatImageStaysFloatAndIsColorized) {
  ASSERT_TRUE(logged("CASE float32 ok")) << log_;
  EXPECT_TRUE(logged("FLOAT32 precision-kept yes")) << log_;
  // exported at 16 bits: the float result was not cut to 8 bits on the way
  cv::Mat in = input("rgb16.png"), out = output("float32-out.png");
  ASSERT_EQ(out.depth(), CV_16U);
  EXPECT_GT(mean_chroma(out), 2.0);
  EXPECT_LT(l_difference(in, out).first, 0.1);
  EXPECT_LE(cv::norm(out, core_result(in), cv::NORM_INF), 2.0);
}

TEST_F(Gimp2Plugin, NewLayerModeAddsAnLchColorLayer) {
  ASSERT_TRUE(logged("CASE new-layer ok")) << log_;
  EXPECT_TRUE(logged("NEWLAYER count 2 lch yes")) << log_;
  cv::Mat in = input("gray.png");
  EXPECT_TRUE(identical(in, output("newlayer-bottom.png")));
  cv::Mat merged = output("newlayer-merged.png");
  ASSERT_EQ(merged.size(), in.size());
  EXPECT_GT(mean_chroma(merged), 2.0);
  EXPECT_LT(l_difference(in, merged).first, 1.0);
}

TEST_F(Gimp2Plugin, NewLayerModeHonoursTheSelection) {
  ASSERT_TRUE(logged("CASE new-layer-rect ok")) << log_;
  cv::Mat in = input("gray.png"), out = output("newlayer-rect-merged.png");
  ASSERT_EQ(out.size(), in.size());
  if (out.channels() == 4) {  // the merged layer may keep an (opaque) alpha
    std::vector<cv::Mat> planes;
    cv::split(out, planes);
    EXPECT_EQ(cv::countNonZero(planes[3] != 255), 0);
    cv::cvtColor(out, out, cv::COLOR_BGRA2BGR);
  }
  cv::Mat outside(in.size(), CV_8U, cv::Scalar(255));
  outside(kRect).setTo(0);
  cv::Mat diff = changed(in, out);
  EXPECT_EQ(cv::countNonZero(diff & outside), 0);
  EXPECT_GT(cv::countNonZero(diff(kRect)), kRect.area() / 2);
}

TEST_F(Gimp2Plugin, LayerOffsetsAreRespected) {
  ASSERT_TRUE(logged("CASE offsets ok")) << log_;
  cv::Mat in = input("gray.png"), out = output("offsets-out.png");
  ASSERT_EQ(out.size(), in.size());  // the layer, not the image
  const cv::Rect selected(0, 0, 50, 40);
  cv::Mat outside(in.size(), CV_8U, cv::Scalar(255));
  outside(selected).setTo(0);
  cv::Mat diff = changed(in, out);
  EXPECT_EQ(cv::countNonZero(diff & outside), 0);
  EXPECT_GT(cv::countNonZero(diff(selected)), selected.area() / 2);
}

TEST_F(Gimp2Plugin, BatchSnippetColorizesAFolder) {
  ASSERT_TRUE(logged("CASE batch-folder ok")) << log_;
  cv::Mat png = output("batch/a.png"), jpg = output("batch/b.jpg");
  ASSERT_EQ(png.size(), input("gray.png").size());
  EXPECT_GT(mean_chroma(png), 2.0);
  EXPECT_LT(l_difference(input("gray.png"), png).first, 0.5);
  ASSERT_EQ(jpg.size(), png.size());
  EXPECT_GT(mean_chroma(jpg), 2.0);
}

// Script-Fu names an EXECUTION_ERROR "failed: <message>" and a
// CALLING_ERROR "failed on invalid input arguments: <message>".
const std::string kExecutionError =
  " error: Procedure execution of plug-in-colorize-pix2pix failed: ";

TEST_F(Gimp2Plugin, LayerGroupIsRefusedWithAMessage) {
  EXPECT_TRUE(logged("CASE layer-group" + kExecutionError +
                     "Layer groups cannot be colorized; choose a layer "
                     "inside the group.")) << log_;
}

TEST_F(Gimp2Plugin, IndexedLayerIsRefusedAsAnExecutionError) {
  EXPECT_TRUE(logged("CASE indexed" + kExecutionError +
                     "Only RGB and grayscale layers can be colorized."))
      << log_;
}

// The model loads but produces NaN on the image: the image is exactly as
// before (not converted to RGB, not dirty, no layer added) and the
// message names the failed model pass, not loading.
TEST_F(Gimp2Plugin, ModelFailingOnTheImageLeavesItAsItWas) {
  const struct { const char *name, *file, *gray; } cases[] = {
    {"model-pass-gray", "graymode.png", "yes"},
    {"model-pass-rgb", "gray.png", "no"},
    {"model-pass-new-layer", "graymode.png", "yes"},
  };
  for (const auto &c : cases) {
    const std::string name = c.name;
    EXPECT_TRUE(logged("CASE " + name + kExecutionError +
                       "The model pass failed: " + run_->failing_model() +
                       ": the model produced non-finite values")) << log_;
    EXPECT_TRUE(logged("FAILED " + name + " gray " + c.gray +
                       " dirty 0 layers 1")) << log_;
    EXPECT_TRUE(identical(input(c.file), output(name + "-out.png"))) << name;
  }
  EXPECT_FALSE(logged("Could not load the model: " + run_->failing_model()))
      << log_;
}

TEST_F(Gimp2Plugin, BadModelFailsWithMessageAndLeavesLayerUntouched) {
  EXPECT_TRUE(logged("CASE missing-model error")) << log_;
  EXPECT_TRUE(logged("CASE garbage-model error")) << log_;
  EXPECT_TRUE(logged("The model file “" + run_->missing_model() +
                     "” does not exist.")) << log_;
  EXPECT_TRUE(logged("Could not load the model: ")) << log_;
  EXPECT_TRUE(logged(run_->garbage_model())) << log_;
  EXPECT_TRUE(identical(input("gray.png"), output("bad-model-out.png")));
}

TEST_F(Gimp2Plugin, DialogValuesAreUsedAndRemembered) {
  std::string why;
  std::string log = run_->run_interactive(&why);
  if (log.empty())
    GTEST_SKIP() << why;
  ASSERT_NE(log.find("INTERACTIVE dialog shown, strength set to 0"),
            std::string::npos) << log;
  // strength 0 typed into the dialog: gray stays gray (to rounding)
  cv::Mat in = input("gray.png"), out = output("interactive.png");
  ASSERT_EQ(out.size(), in.size());
  EXPECT_LE(cv::norm(in, out, cv::NORM_INF), 1.0);
  EXPECT_LT(mean_chroma(out), 0.5);
  // Repeat uses the stored strength 0, not the defaults (which colorize)
  EXPECT_TRUE(identical(out, output("interactive-repeat.png")));
  EXPECT_FALSE(identical(output("whole.png"), output("interactive-repeat.png")));
}

// A hint model whose colours are its hint channels: red where the red
// dots of the "Colour hints" layer are, gray elsewhere; without hints gray.
TEST_F(Gimp2Plugin, HintsLayerGivesItsColoursToAHintModel) {
  ASSERT_TRUE(logged("CASE hints ok")) << log_;
  ASSERT_TRUE(logged("CASE hints-none ok")) << log_;
  const cv::Mat in = input("gray.png"), out = output("hints-out.png");
  ASSERT_EQ(out.size(), in.size());
  std::vector<cv::Mat> lab;
  cv::split(lab_of(out), lab);
  EXPECT_GT(cv::mean(lab[1](cv::Rect(46, 36, 12, 12)))[0], 20.0) << "red under the dots";
  const cv::Rect far(110, 80, 40, 30);
  EXPECT_LT(mean_chroma(out(far)), 1.0) << "gray away from them";
  EXPECT_LT(mean_chroma(output("hints-none-out.png")), 1.0);
  EXPECT_LT(l_difference(in, out).first, 0.6) << "lightness kept";
}

TEST_F(Gimp2Plugin, BadHintsAreRefusedWithAMessage) {
  const std::string hints_proc = " error: Procedure execution of plug-in-colorize-pix2pix-hints failed";
  EXPECT_TRUE(logged("CASE hints-plain-model" + hints_proc + ": The model " + run_->model() +
                     " takes no colour hints")) << log_;
  EXPECT_TRUE(logged("CASE hints-no-alpha" + hints_proc + ": Cannot colorize this layer: the colour hints "
                     "layer has no alpha channel")) << log_;
  EXPECT_TRUE(logged("CASE hints-self" + hints_proc + " on invalid input arguments: The colour hints must "
                     "be another layer of the same image, or none")) << log_;
}

TEST_F(Gimp2Plugin, ErrorMessageIsTranslatedToGerman) {
  std::string why;
  std::string log = run_->run_german(&why);
  if (log.empty())
    GTEST_SKIP() << why;
  EXPECT_NE(log.find("CASE missing-model error"), std::string::npos) << log;
  EXPECT_NE(log.find("Die Modelldatei „" + run_->missing_model() +
                     "“ existiert nicht."), std::string::npos) << log;
}

}  // namespace
