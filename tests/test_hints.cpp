// Colour hints end to end below the programs: the model format (version 2),
// the reduction of a sparse RGBA picture to the network's hint channels,
// inference with and without hints, the trainer's simulated hints and the
// start of a hint-capable generator from a plain one.
#include <filesystem>
#include <random>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <torch/script.h>

#include "colorize/error.h"
#include "colorize/hints.h"
#include "colorize/model.h"
#include "colorize/pipeline.h"
#include "hints.h"
#include "nets.h"
#include "support.h"
#include "train.h"
#include "trainer_fixtures.h"

namespace {

namespace nets = colorize::nets;
namespace ct = colorize::train;
using colorize::testing::TempDir;

nets::UNetConfig hint_unet() {
  nets::UNetConfig c = colorize::testing::tiny_unet();
  c.in_channels = 4;
  return c;
}

/// An RGBA 8-bit picture, transparent but for `dots` of `rgb` at 255 alpha.
cv::Mat dots(cv::Size size, const std::vector<cv::Point> &where, cv::Vec3b rgb) {
  cv::Mat m = cv::Mat::zeros(size, CV_8UC4);
  for (const auto &p : where) m.at<cv::Vec4b>(p) = cv::Vec4b(rgb[0], rgb[1], rgb[2], 255);
  return m;
}

TEST(HintFormat, Version2DeclaresHintsAndRoundTrips) {
  colorize::ModelInfo info = colorize::testing::info_for(hint_unet());
  ASSERT_TRUE(info.hints);
  EXPECT_EQ(info.input_channels(), 4);
  const std::string text = colorize::serialize_model_info(info);
  EXPECT_NE(text.find("\"hints\" : true"), std::string::npos) << text;
  const colorize::ModelInfo back = colorize::parse_model_info(text, "m.pt");
  EXPECT_TRUE(back.hints);
  EXPECT_EQ(back.format_version, colorize::kHintFormatVersion);
  EXPECT_EQ(colorize::parse_model_info(colorize::serialize_model_info(colorize::testing::info_for(
                                           colorize::testing::tiny_unet())), "m.pt").input_channels(), 1);
}

TEST(HintFormat, InconsistentDeclarationsAreRefused) {
  auto refused = [](const std::string &json, const std::string &says) {
    try {
      colorize::parse_model_info(json, "m.pt");
      ADD_FAILURE() << "accepted " << json;
    } catch (const colorize::ModelError &e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  const std::string rest = R"("input_size": 8, "size_multiple": 8)";
  refused(R"({"format_version": 1, "color_space": "lab", "hints": true, )" + rest + "}", "needs format_version 2");
  refused(R"({"format_version": 2, "color_space": "lab", )" + rest + "}", "needs \"hints\": true");
  refused(R"({"format_version": 2, "color_space": "rgb", "hints": true, )" + rest + "}", "color_space \"lab\"");
  refused(R"({"format_version": 2, "color_space": "lab", "hints": "yes", )" + rest + "}", "true or false");
  refused(R"({"format_version": 3, "color_space": "lab", "hints": true, )" + rest + "}", "newer version");
}

TEST(HintChannels, DotsAreAveragedPerWorkingCellAndTheRestIsEmpty) {
  const colorize::Normalization n;
  // 100 x 50 picture, working size 20 x 10: cells of 5 x 5 pixels.
  cv::Mat hints = dots({100, 50}, {{11, 12}, {13, 14}}, {200, 30, 30});
  hints.at<cv::Vec4b>(14, 12) = cv::Vec4b(30, 30, 200, 255);  // same cell, blue
  hints.at<cv::Vec4b>(40, 90) = cv::Vec4b(30, 200, 30, 100);  // alpha below half: not a hint
  EXPECT_EQ(colorize::count_hint_pixels(hints), 3u);
  const cv::Mat ch = colorize::hint_channels(hints, {20, 10}, n);
  ASSERT_EQ(ch.type(), CV_32FC3);
  ASSERT_EQ(ch.size(), cv::Size(20, 10));
  std::vector<cv::Mat> planes;
  cv::split(ch, planes);
  EXPECT_EQ(cv::countNonZero(planes[2]), 1);
  EXPECT_FLOAT_EQ(planes[2].at<float>(2, 2), 1.0f);
  // The mean of two reds and a blue, in Lab, normalised.
  cv::Mat rgb(1, 3, CV_32FC3);
  rgb.at<cv::Vec3f>(0, 0) = rgb.at<cv::Vec3f>(0, 1) = cv::Vec3f(200, 30, 30) / 255.0f;
  rgb.at<cv::Vec3f>(0, 2) = cv::Vec3f(30, 30, 200) / 255.0f;
  const cv::Mat lab = colorize::rgb_to_lab(rgb);
  const cv::Scalar mean = cv::mean(lab);
  EXPECT_NEAR(planes[0].at<float>(2, 2), mean[1] / n.ab_scale, 1e-5);
  EXPECT_NEAR(planes[1].at<float>(2, 2), mean[2] / n.ab_scale, 1e-5);
  EXPECT_EQ(cv::countNonZero(planes[0]), 1);
}

TEST(HintChannels, BadHintPicturesAreRefused) {
  const colorize::Normalization n;
  EXPECT_THROW(colorize::hint_channels(cv::Mat(), {4, 4}, n), colorize::ImageError);
  EXPECT_THROW(colorize::hint_channels(cv::Mat::zeros(4, 4, CV_8UC3), {4, 4}, n), colorize::ImageError);
  EXPECT_THROW(colorize::hint_channels(cv::Mat::zeros(4, 4, CV_8UC4), {0, 4}, n), colorize::ImageError);
  const cv::Mat none = colorize::hint_channels(cv::Mat::zeros(4, 4, CV_16UC4), {2, 2}, n);
  EXPECT_EQ(cv::countNonZero(none.reshape(1)), 0);
}

TEST(HintInference, HintsChangeTheirCellsAndMustFitTheImage) {
  TempDir dir;
  const std::string path = dir.file("hints.pt");
  nets::UNetConfig config = hint_unet();
  colorize::testing::write_model(path, config, colorize::testing::info_for(config));
  const colorize::Model model = colorize::Model::load(path);
  ASSERT_TRUE(model.info().hints);
  cv::Mat gray(64, 96, CV_8UC3);
  cv::randu(gray, 0, 255);
  cv::cvtColor(gray, gray, cv::COLOR_RGB2GRAY);
  cv::cvtColor(gray, gray, cv::COLOR_GRAY2RGB);
  colorize::InferOptions o;
  o.resolution = 16;
  const colorize::AbMap plain = colorize::infer(model, gray, gray.size(), o);
  o.hints = cv::Mat::zeros(gray.size(), CV_8UC4);
  const colorize::AbMap transparent = colorize::infer(model, gray, gray.size(), o);
  EXPECT_EQ(cv::norm(plain.ab, transparent.ab, cv::NORM_INF), 0.0) << "all transparent = no hints";
  o.hints = dots(gray.size(), {{40, 30}}, {255, 0, 0});
  const colorize::AbMap hinted = colorize::infer(model, gray, gray.size(), o);
  EXPECT_GT(cv::norm(plain.ab, hinted.ab, cv::NORM_INF), 0.0) << "an untrained network still reads its hints";
  o.hints = cv::Mat::zeros(gray.rows + 1, gray.cols, CV_8UC4);
  EXPECT_THROW(colorize::infer(model, gray, gray.size(), o), colorize::ImageError);
}

TEST(HintInference, AModelWithoutHintInputsRefusesHints) {
  TempDir dir;
  const std::string path = dir.file("plain.pt");
  const nets::UNetConfig config = colorize::testing::tiny_unet();
  colorize::testing::write_model(path, config, colorize::testing::info_for(config));
  const colorize::Model model = colorize::Model::load(path);
  colorize::InferOptions o;
  const cv::Mat img = cv::Mat::zeros(16, 16, CV_8UC3);
  o.hints = dots(img.size(), {{3, 3}}, {255, 0, 0});
  try {
    colorize::infer(model, img, img.size(), o);
    ADD_FAILURE() << "hints accepted";
  } catch (const colorize::Error &e) {
    EXPECT_NE(std::string(e.what()).find("takes no colour hints"), std::string::npos) << e.what();
  }
}

TEST(SimulatedHints, PatchesCarryTheTargetMeanAndNoneMeansZero) {
  cv::Mat bgr(32, 32, CV_8UC3);
  cv::randu(bgr, 0, 255);
  std::mt19937_64 rng(7);
  ct::Example none = ct::make_example(bgr, ct::Space::Lab);
  ct::add_hints(none, 0, rng);
  ASSERT_EQ(none.x.type(), CV_32FC4);
  std::vector<cv::Mat> p;
  cv::split(none.x, p);
  EXPECT_EQ(cv::countNonZero(p[1]) + cv::countNonZero(p[2]) + cv::countNonZero(p[3]), 0);

  ct::Example e = ct::make_example(bgr, ct::Space::Lab);
  const cv::Mat L = e.x.clone();
  ct::add_hints(e, 1, rng);
  cv::split(e.x, p);
  EXPECT_EQ(cv::norm(p[0], L, cv::NORM_INF), 0.0) << "L is unchanged";
  const cv::Rect patch = cv::boundingRect(p[3] > 0.5f);
  ASSERT_GE(patch.width, 1);
  ASSERT_LE(patch.width, 9);
  EXPECT_EQ(patch.width, patch.height);
  EXPECT_EQ(cv::countNonZero(p[3]), patch.area()) << "one square patch";
  const cv::Scalar mean = cv::mean(e.y(patch));
  EXPECT_NEAR(p[1].at<float>(patch.y, patch.x), mean[0], 1e-5);
  EXPECT_NEAR(p[2].at<float>(patch.y + patch.height - 1, patch.x), mean[1], 1e-5);
  ct::Example rgb = ct::make_example(bgr, ct::Space::Rgb);
  EXPECT_THROW(ct::add_hints(rgb, 1, rng), std::invalid_argument);
}

TEST(SimulatedHints, OneExampleInEightHasNone) {
  std::mt19937_64 rng(11);
  int zero = 0, total = 0;
  const int n = 16000;
  for (int i = 0; i < n; ++i) {
    const int k = ct::random_hint_count(rng);
    ASSERT_GE(k, 0);
    ASSERT_LE(k, ct::kMaxHints);
    zero += k == 0;
    total += k;
  }
  EXPECT_NEAR(double(zero) / n, 1.0 / 8, 0.01);
  EXPECT_NEAR(double(total) / n, 7.0, 0.3);
}

TEST(InitialWeights, AHintGeneratorStartsAsThePlainOneItComesFrom) {
  torch::manual_seed(3);
  nets::UNetConfig plain_config = colorize::testing::tiny_unet();
  torch::jit::Module plain = nets::build_unet(plain_config);
  torch::jit::Module hinted = nets::build_unet(hint_unet());
  nets::load_weights(hinted, plain);
  nets::set_training(plain, false);
  nets::set_training(hinted, false);
  torch::NoGradGuard no_grad;
  const torch::Tensor L = torch::rand({1, 1, 16, 16});
  const torch::Tensor none = torch::cat({L, torch::zeros({1, 3, 16, 16})}, 1);
  const torch::Tensor a = plain.forward({L}).toTensor(), b = hinted.forward({none}).toTensor();
  EXPECT_TRUE(torch::allclose(a, b, 1e-6, 1e-6));
  // Wider or deeper networks do not fit.
  nets::UNetConfig wider = hint_unet();
  wider.width = 8;
  torch::jit::Module other = nets::build_unet(wider);
  EXPECT_THROW(nets::load_weights(other, plain), std::invalid_argument);
}

TEST(HintRun, APlainModelIsFineTunedIntoAHintModel) {
  TempDir data, plain_run, hint_run, bad_run;
  for (const char *name : colorize::testing::kTrainPhotos)
    std::filesystem::copy_file(colorize::testing::data_path(name), data.file(name));
  ct::TrainOptions plain = colorize::testing::tiny_options(data.path(), plain_run.path());
  plain.epochs = plain.pretrain_epochs = 1;
  const std::string plain_model = ct::run_training(plain).model_path;
  ASSERT_FALSE(colorize::Model::load(plain_model).info().hints);

  ct::TrainOptions hints = colorize::testing::tiny_options(data.path(), hint_run.path());
  hints.epochs = hints.pretrain_epochs = 1;
  hints.hints = true;
  hints.init = plain_model;
  const ct::TrainResult r = ct::run_training(hints);
  const colorize::Model model = colorize::Model::load(r.model_path);
  EXPECT_TRUE(model.info().hints);
  EXPECT_EQ(model.info().format_version, colorize::kHintFormatVersion);
  EXPECT_NE(model.info().training_json.find("\"init\""), std::string::npos) << model.info().training_json;
  cv::Mat photo = cv::Mat::zeros(40, 48, CV_8UC3);
  colorize::InferOptions o;
  o.hints = dots(photo.size(), {{20, 20}}, {255, 0, 0});
  EXPECT_NO_THROW(colorize::infer(model, photo, photo.size(), o));

  // A generator of another width does not fit: a usage error naming --init.
  ct::TrainOptions wider = hints;
  wider.out_dir = bad_run.path();
  wider.width = 16;
  try {
    ct::run_training(wider);
    ADD_FAILURE() << "--init from another architecture accepted";
  } catch (const ct::UsageError &e) {
    EXPECT_NE(std::string(e.what()).find("--init " + plain_model), std::string::npos) << e.what();
  }
}

}  // namespace
