// The two-phase pipeline with a model: infer() and colorize_image() with
// tiny untrained networks (sizes, input types, progress, cancellation).
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "colorize/color.h"
#include "colorize/error.h"
#include "colorize/model.h"
#include "colorize/pipeline.h"
#include "colorize/run.h"
#include "greedy_model.h"
#include "pipeline_helpers.h"
#include "support.h"

namespace colorize {
namespace {

using namespace colorize::testing;

// ----------------------------------------------- infer and colorize_image

class WithModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    const nets::UNetConfig lab = testing::tiny_unet(2);
    const nets::UNetConfig rgb = testing::tiny_unet(3);
    LoadOptions cpu;
    cpu.device = Device::Cpu;
    lab_ = new Model(Model::load(
        testing::write_model(dir_->file("lab.pt"), lab, testing::info_for(lab)),
        cpu));
    rgb_ = new Model(Model::load(
        testing::write_model(dir_->file("rgb.pt"), rgb, testing::info_for(rgb)),
        cpu));
  }
  static void TearDownTestSuite() {
    delete lab_;
    delete rgb_;
    delete dir_;
  }
  static testing::TempDir *dir_;
  static Model *lab_;
  static Model *rgb_;
};
testing::TempDir *WithModel::dir_ = nullptr;
Model *WithModel::lab_ = nullptr;
Model *WithModel::rgb_ = nullptr;

TEST_F(WithModel, InferGivesMapAtWorkingSize) {
  const int res = lab_->info().input_size;
  for (cv::Size size : {cv::Size(1, 1), cv::Size(3, 7000), cv::Size(7000, 3),
                        cv::Size(2000, 1500), cv::Size(37, 53)}) {
    const cv::Mat image = test_image(size, CV_8U, 3, 29);
    const AbMap map = infer(*lab_, image, image.size());
    EXPECT_EQ(map.ab.type(), CV_32FC2);
    EXPECT_EQ(map.ab.size(), working_size(size, res)) << size;
    EXPECT_EQ(map.image_size, size);
    EXPECT_LE(std::max(map.ab.cols, map.ab.rows), 4 * res);
  }
}

TEST_F(WithModel, InferResolutionAndRgbModels) {
  const cv::Mat image = test_image({90, 60}, CV_16U, 4, 30);
  InferOptions options;
  options.resolution = 20;  // not a multiple of size_multiple: padded
  for (const Model *model : {lab_, rgb_}) {
    const AbMap map = infer(*model, image, {900, 600}, options);
    EXPECT_EQ(map.ab.size(), cv::Size(30, 20));
    EXPECT_EQ(map.image_size, cv::Size(900, 600));
    EXPECT_LT(max_of(cv::abs(map.ab)), 130.0);
    cv::Mat finite = map.ab == map.ab;  // NaN check
    EXPECT_EQ(cv::countNonZero(finite.reshape(1)), map.ab.total() * 2);
  }
  options.resolution = -1;
  EXPECT_THROW(infer(*lab_, image, image.size(), options), Error);
  options.resolution = kMaxResolution + 1;
  try {
    infer(*lab_, image, image.size(), options);
    ADD_FAILURE() << "a working resolution over the limit was accepted";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("more than the limit of 4096"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(working_size({90, 60}, kMaxResolution + 1), Error);
  EXPECT_EQ(working_size({90, 60}, kMaxResolution), cv::Size(6144, 4096));
}

// ------------------------------------------------------------------- run

TEST_F(WithModel, RunOnAPictureInMemoryIsInferThenApply) {
  const cv::Mat image = test_image({300, 200}, CV_16U, 4, 8);
  cv::Mat out(image.size(), CV_16UC4);
  MatImageSource source(image);
  MatRowSink sink(out);
  RunOptions options;
  options.strips.strip_rows = 64;
  run(*lab_, source, sink, options);
  EXPECT_TRUE(identical(out, apply_whole(infer(*lab_, image, image.size()), image)));
}

/// Serves the reduced read by resizing, as a decoder's or GEGL's scaling
/// would, and records what it was asked for.
class ReducingSource final : public ImageSource {
 public:
  explicit ReducingSource(cv::Mat image) : image_(std::move(image)) {}
  cv::Size size() const override { return image_.size(); }
  int type() const override { return image_.type(); }
  cv::Mat read(int y0, int count, cv::Mat &buffer) override {
    EXPECT_TRUE(reduced_read) << "rows read before the reduced read";
    cv::Mat rows = rows_in(buffer, count);
    image_.rowRange(y0, y0 + count).copyTo(rows);
    return rows;
  }
  cv::Mat read_reduced(const InferReadPlan &p) override {
    plan = p;
    reduced_read = true;
    cv::Mat small;
    cv::resize(image_, small, p.read, 0, 0, cv::INTER_AREA);
    return small;
  }
  InferReadPlan plan;
  bool reduced_read = false;

 private:
  cv::Mat image_;
};

TEST_F(WithModel, RunReadsTheReducedPictureItNeedsThenTheRows) {
  const cv::Mat image = test_image({2400, 1600}, CV_8U, 3, 9);
  ReducingSource source(image);
  cv::Mat out(image.size(), CV_8UC3);
  MatRowSink sink(out);
  std::vector<double> seen;
  std::vector<RunStage> stages;
  RunTimes times;
  RunOptions options;
  options.infer.resolution = 64;
  run(*lab_, source, sink, options, [&](double f) { seen.push_back(f); return true; }, &times,
      [&](RunStage s) { stages.push_back(s); });
  EXPECT_EQ(source.plan.work, cv::Size(96, 64));
  EXPECT_EQ(source.plan.read, cv::Size(192, 128));
  EXPECT_LT(l_error(image, out), 1.5);  // full-resolution L kept
  EXPECT_EQ(stages, (std::vector<RunStage>{RunStage::Reading, RunStage::ModelPass, RunStage::Applying}));
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen[0], 0.0);
  EXPECT_DOUBLE_EQ(seen[1], 0.1);
  EXPECT_DOUBLE_EQ(seen.back(), 1.0);
  EXPECT_GT(times.infer, 0.0);
  EXPECT_GT(times.strips.apply, 0.0);
}

TEST_F(WithModel, RunCancelledAfterTheModelPassWritesNothing) {
  const cv::Mat image = test_image({200, 150}, CV_8U, 1, 9);
  MatImageSource source(image);
  struct CountingSink final : RowSink {
    int writes = 0;
    void write(int, const cv::Mat &) override { ++writes; }
  } sink;
  RunOptions options;
  options.model_share = 0.25;
  std::vector<double> seen;
  EXPECT_THROW(run(*lab_, source, sink, options, [&](double f) { seen.push_back(f); return f < 0.25; }),
               Cancelled);
  EXPECT_EQ(seen, (std::vector<double>{0.0, 0.25}));
  EXPECT_EQ(sink.writes, 0);
  options.model_share = 1.0;
  EXPECT_THROW(run(*lab_, source, sink, options), Error);
  // Strip options out of range fail before the model pass.
  options.model_share = 0.1;
  options.strips.rows = cv::Range(100, 201);
  seen.clear();
  EXPECT_THROW(run(*lab_, source, sink, options, [&](double f) { seen.push_back(f); return true; }), Error);
  EXPECT_TRUE(seen.empty());
}

TEST(Infer, OutOfMemoryInTheModelPassIsOneLine) {
  TempDir dir;
  const std::string json = serialize_model_info(info_for(tiny_unet(2)));
  const std::string path = save_module(dir.file("greedy.pt"), scripted_module(kGreedyForward),
                                       json.c_str());
  LoadOptions cpu;
  cpu.device = Device::Cpu;
  const Model model = Model::load(path, cpu);
  try {
    infer(model, cv::Mat(60, 90, CV_8UC3, cv::Scalar(90, 120, 150)), {90, 60});
    ADD_FAILURE() << "no error";
  } catch (const OutOfMemory &e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(path + ": out of memory in the model pass on an input of shape [1, 1, 8, 16]: ", 0),
              0u) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_NE(e.reason().find("allocate"), std::string::npos) << e.reason();
    EXPECT_GT(e.detail().size(), what.size());
  }
}

TEST_F(WithModel, ColorizeImageEveryInputType) {
  for (int depth : {CV_8U, CV_16U, CV_32F}) {
    for (int channels : {1, 2, 3, 4}) {
      const cv::Mat in = test_image({45, 31}, depth, channels, 31);
      const cv::Mat out = colorize_image(*lab_, in);
      const bool alpha = channels == 2 || channels == 4;
      ASSERT_EQ(out.size(), in.size());
      ASSERT_EQ(out.type(), CV_MAKETYPE(depth, alpha ? 4 : 3));
      EXPECT_LE(l_error(in, out), l_tolerance(depth))
          << "depth " << depth << ", " << channels << " channels";
      if (alpha) {
        EXPECT_TRUE(identical(alpha_of(in), alpha_of(out)));
      }
    }
  }
}

TEST_F(WithModel, ColorizeOddSizes) {
  for (cv::Size size : {cv::Size(1, 1), cv::Size(3, 7000), cv::Size(7000, 3)}) {
    const cv::Mat in = test_image(size, CV_8U, 3, 32);
    const cv::Mat out = colorize_image(*rgb_, in, {}, {}, {}, 256);
    EXPECT_EQ(out.size(), size);
    EXPECT_LE(l_error(in, out), l_tolerance(CV_8U)) << size;
  }
}

TEST_F(WithModel, ColorizeIsDeterministicAndStripIndependent) {
  const cv::Mat in = test_image({150, 110}, CV_8U, 3, 33);
  const cv::Mat a = colorize_image(*lab_, in, {}, {}, {}, 256);
  const cv::Mat b = colorize_image(*lab_, in, {}, {}, {}, 256);
  const cv::Mat c = colorize_image(*lab_, in, {}, {}, {}, 7);
  EXPECT_TRUE(identical(a, b));
  EXPECT_TRUE(identical(a, c));
}

TEST_F(WithModel, ProgressAndCancellation) {
  const cv::Mat in = test_image({64, 100}, CV_8U, 4, 34);
  const cv::Mat before = in.clone();
  std::vector<double> seen;
  const cv::Mat out = colorize_image(*lab_, in, {}, {},
                                     [&](double f) {
                                       seen.push_back(f);
                                       return true;
                                     },
                                     16);
  ASSERT_GE(seen.size(), 7u);  // start + 100 / 16 strips
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i], seen[i - 1]);
  EXPECT_DOUBLE_EQ(seen.back(), 1.0);

  int calls = 0;
  EXPECT_THROW(colorize_image(*lab_, in, {}, {},
                              [&](double) { return ++calls < 3; }, 16),
               Cancelled);
  EXPECT_EQ(calls, 3);
  EXPECT_TRUE(identical(in, before)) << "input untouched";
  EXPECT_THROW(colorize_image(*lab_, in, {}, {}, [](double) { return false; }),
               Cancelled);
}

TEST_F(WithModel, BadImagesAreRejected) {
  EXPECT_THROW(colorize_image(*lab_, cv::Mat(4, 4, CV_8SC3, cv::Scalar::all(0))),
               ImageError);
  EXPECT_THROW(colorize_image(*lab_, cv::Mat(4, 4, CV_16UC(5), cv::Scalar::all(0))),
               ImageError);
  EXPECT_THROW(colorize_image(*lab_, cv::Mat()), ImageError);
  EXPECT_THROW(infer(*lab_, cv::Mat(4, 4, CV_8UC3, cv::Scalar::all(0)), {0, 4}),
               ImageError);
}

TEST(NonFiniteModel, InferAndForwardRefuseNanAndInf) {
  testing::TempDir dir;
  const std::string json = serialize_model_info(testing::info_for(testing::tiny_unet(2)));
  LoadOptions cpu;
  cpu.device = Device::Cpu;
  // Both are finite on the all-zero input of the load-time check, so they
  // load: sqrt gives NaN where L < 50 (x < 0), exp overflows to Inf where
  // L > 55. The test image has black and white patches.
  struct Case {
    const char *name, *body;
    double bad_x;  // a network input that gives NaN or Inf
  };
  const Case cases[] = {{"nan.pt", "torch.cat([torch.sqrt(x), torch.sqrt(x)], 1)", -1.0},
                        {"inf.pt", "torch.cat([torch.exp(x * 1000.0), x], 1)", 1.0}};
  const cv::Mat image = test_image({40, 30}, CV_8U, 3, 35);
  for (const auto &[name, body, bad_x] : cases) {
    const std::string path =
        testing::save_module(dir.file(name), testing::scripted_module(body), json.c_str());
    const Model model = Model::load(path, cpu);
    try {
      infer(model, image, image.size());
      ADD_FAILURE() << name << ": infer() accepted a non-finite model output";
    } catch (const ModelError &e) {
      EXPECT_EQ(std::string(e.what()).rfind(
                    path + ": the model produced non-finite values (NaN or Inf) for an input", 0),
                0u)
          << e.what();
    }
    EXPECT_THROW(colorize_image(model, image), ModelError) << name;
    EXPECT_THROW(model.forward(cv::Mat(8, 8, CV_32FC1, cv::Scalar(bad_x))), ModelError) << name;
    // Where the values stay finite the same model works.
    EXPECT_NO_THROW(model.forward(cv::Mat(8, 8, CV_32FC1, cv::Scalar(0.0)))) << name;
  }
}

}  // namespace
}  // namespace colorize
