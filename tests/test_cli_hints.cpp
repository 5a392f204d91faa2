// The `colorize` program with colour hints (--hints FILE | DIR): hints
// give their colour to the photo where they are, transparent ones change
// nothing, and every misuse is a clear error. Runs the built binary with a
// model whose output is its hint channels (a,b = hint a,b) and the plain
// fixture model.
#include <string>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "cli_support.h"
#include "colorize/model.h"

namespace {

using colorize::testing::CliRun;
using colorize::testing::CliTest;
using colorize::testing::run_cli;

class CliHintsTest : public CliTest {
 protected:
  void SetUp() override {
    colorize::ModelInfo info;
    info.format_version = colorize::kHintFormatVersion;
    info.hints = true;
    info.input_size = 48;  // the photo's short side: one working cell per pixel
    info.size_multiple = 8;
    hint_model_ = colorize::testing::save_module(dir_.file("hints.pt"), colorize::testing::scripted_module("x[:, 1:3]"),
                                                 colorize::serialize_model_info(info).c_str());
    cv::Mat gray(48, 64, CV_8UC1);
    cv::randu(gray, 0, 255);
    photo_ = dir_.file("photo.png");
    ASSERT_TRUE(cv::imwrite(photo_, gray));
  }

  /// A transparent BGRA image of the photo's size with a red square where
  /// `dot` is true.
  std::string hint_file(const std::string &name, bool dot, cv::Size size = {64, 48}) {
    cv::Mat m = cv::Mat::zeros(size, CV_8UC4);
    if (dot) m(cv::Rect(size.width / 3, size.height / 3, 6, 6)).setTo(cv::Scalar(0, 0, 255, 255));
    const std::string path = dir_.file(name);
    EXPECT_TRUE(cv::imwrite(path, m));
    return path;
  }

  CliRun with_hint_model(const std::vector<std::string> &args) {
    std::vector<std::string> all{"--model", hint_model_};
    all.insert(all.end(), args.begin(), args.end());
    return run_cli(all);
  }

  cv::Mat result(const std::string &path) { return cv::imread(path, cv::IMREAD_COLOR); }

  /// Mean Lab a of `rect` in an 8-bit BGR result.
  static double mean_a(const cv::Mat &bgr, const cv::Rect &rect) {
    cv::Mat f, lab;
    bgr(rect).convertTo(f, CV_32F, 1.0 / 255);
    cv::cvtColor(f, lab, cv::COLOR_BGR2Lab);
    return cv::mean(lab)[1];
  }

  std::string hint_model_, photo_;
};

TEST_F(CliHintsTest, HintsChangeTheColoursAndTransparentOnesChangeNothing) {
  const std::string plain = dir_.file("plain.png"), hinted = dir_.file("hinted.png"), none = dir_.file("none.png");
  ASSERT_EQ(with_hint_model({photo_, "-o", plain}).status, 0);
  const CliRun r = with_hint_model({photo_, "--hints", hint_file("dot.png", true), "-o", hinted});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(with_hint_model({photo_, "--hints", hint_file("empty.png", false), "-o", none}).status, 0);
  const cv::Rect dot(64 / 3 + 1, 48 / 3 + 1, 4, 4), far(48, 36, 8, 8);
  EXPECT_GT(mean_a(result(hinted), dot), 20.0) << "red where the dots are";
  EXPECT_NEAR(mean_a(result(hinted), far), mean_a(result(plain), far), 1.0) << "unchanged elsewhere";
  EXPECT_NEAR(mean_a(result(plain), dot), 0.0, 1.0);
  EXPECT_EQ(cv::norm(result(plain), result(none), cv::NORM_INF), 0.0);
}

TEST_F(CliHintsTest, AHintFolderGivesEachInputTheImageOfItsName) {
  const std::string in = dir_.file("in"), hints = dir_.file("hints"), out = dir_.file("out"),
                    ref = dir_.file("ref");
  for (const auto &d : {in, hints}) ASSERT_EQ(g_mkdir_with_parents(d.c_str(), 0777), 0);
  const cv::Mat photo = cv::imread(photo_, cv::IMREAD_UNCHANGED);
  ASSERT_TRUE(cv::imwrite(in + "/a.png", photo));
  ASSERT_TRUE(cv::imwrite(in + "/b.jpg", photo));
  hint_file("hints/a.tiff", true);
  ASSERT_EQ(with_hint_model({in, "-o", ref}).status, 0);
  const CliRun r = with_hint_model({in, "--hints", hints, "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_GT(cv::norm(result(ref + "/a.png"), result(out + "/a.png"), cv::NORM_INF), 20.0);
  EXPECT_EQ(cv::norm(result(ref + "/b.jpg"), result(out + "/b.jpg"), cv::NORM_INF), 0.0)
      << "b has no hint image: no hints";
}

TEST_F(CliHintsTest, MisuseIsAClearError) {
  auto expect = [](const CliRun &r, int status, const std::string &says) {
    EXPECT_EQ(r.status, status) << r.err;
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
  };
  const std::string dot = hint_file("dot.png", true);
  // A model without hint inputs.
  expect(colorize({photo_, "--hints", dot}), 2, "takes no colour hints");
  // The wrong size: both files named.
  const std::string small = hint_file("small.png", true, {32, 24});
  CliRun r = with_hint_model({photo_, "--hints", small});
  expect(r, 1, "must be the same size");
  EXPECT_NE(r.err.find(photo_), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(small), std::string::npos) << r.err;
  // Not an image; no alpha channel; no such file.
  const std::string text = dir_.file("notes.png");
  colorize::testing::write_bytes(text, "not an image");
  expect(with_hint_model({photo_, "--hints", text}), 1, "the hint image " + text);
  const std::string opaque = dir_.file("opaque.png");
  ASSERT_TRUE(cv::imwrite(opaque, cv::Mat(48, 64, CV_8UC3, cv::Scalar(0, 0, 255))));
  expect(with_hint_model({photo_, "--hints", opaque}), 1, "has no alpha channel");
  expect(with_hint_model({photo_, "--hints", dir_.file("missing.png")}), 2, "no such file or folder");
  // One hint file for several inputs.
  expect(with_hint_model({photo_, photo_, "--hints", dot}), 2, "for one input");
  EXPECT_FALSE(colorize::testing::exists(dir_.file("photo-colorized.png"))) << "nothing written on failure";
}

// The shipped default model, given six red dots on the flower of a gray
// photo, makes the flower redder, and changes it much more than the
// background (the model spreads hints further than their object: the
// background moves too, see models/README.md).
TEST(CliDefaultModelHints, RedDotsMakeTheFlowerRedderThanTheBackground) {
  const std::string model = colorize::testing::data_path("../../models/colorize-default.pt");
  if (!colorize::Model::load(model).info().hints)
    GTEST_SKIP() << "the default model takes no colour hints";
  colorize::testing::TempDir dir;
  const cv::Mat photo = cv::imread(colorize::testing::data_path("flower.jpg"), cv::IMREAD_GRAYSCALE);
  ASSERT_EQ(photo.size(), cv::Size(640, 427));
  const std::string gray = dir.file("flower.png"), hints = dir.file("dots.png");
  ASSERT_TRUE(cv::imwrite(gray, photo));
  cv::Mat dots = cv::Mat::zeros(photo.size(), CV_8UC4);
  for (const cv::Point p : {cv::Point(250, 170), cv::Point(365, 190), cv::Point(305, 300), cv::Point(225, 255),
                            cv::Point(385, 285), cv::Point(300, 215)})
    cv::circle(dots, p, 5, cv::Scalar(30, 20, 230, 255), cv::FILLED);  // B, G, R, A
  ASSERT_TRUE(cv::imwrite(hints, dots));
  const std::string plain = dir.file("plain.png"), hinted = dir.file("hinted.png");
  ASSERT_EQ(run_cli({"--model", model, gray, "-o", plain}).status, 0);
  const CliRun r = run_cli({"--model", model, gray, "--hints", hints, "-o", hinted});
  ASSERT_EQ(r.status, 0) << r.err;

  cv::Mat flower = cv::Mat::zeros(photo.size(), CV_8U), background(photo.size(), CV_8U, cv::Scalar(255));
  cv::circle(flower, {307, 220}, 110, cv::Scalar(255), cv::FILLED);
  cv::circle(background, {307, 220}, 170, cv::Scalar(0), cv::FILLED);
  auto lab = [](const std::string &path) {
    cv::Mat f, out;
    cv::imread(path, cv::IMREAD_COLOR).convertTo(f, CV_32F, 1.0 / 255);
    cv::cvtColor(f, out, cv::COLOR_BGR2Lab);
    return out;
  };
  const cv::Mat with = lab(hinted), without = lab(plain);
  EXPECT_GT(cv::mean(with, flower)[1], cv::mean(without, flower)[1] + 10.0) << "mean a over the flower";
  cv::Mat diff;
  cv::absdiff(with, without, diff);
  const cv::Scalar on = cv::mean(diff, flower), off = cv::mean(diff, background);
  EXPECT_GT(on[1] + on[2], 2.0 * (off[1] + off[2])) << "mean |a| + |b| change: flower vs background";
}

}  // namespace
