// The `colorize` program, run as a user would: the built binary (path in
// $COLORIZE_CLI) on files in a temporary folder, with a tiny untrained model.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
// libjpeg after <cstdio> (it needs FILE).
#include <cstdio>
#include <jpeglib.h>

#include "cli_support.h"
#include "colorize/metadata.h"

namespace {

using colorize::testing::CliRun;
using colorize::testing::CliTest;
using colorize::testing::data_path;
using colorize::testing::exists;
using colorize::testing::hidden_files;
using colorize::testing::l_difference;
using colorize::testing::read_bytes;
using colorize::testing::run_cli;
using colorize::testing::write_bytes;
using colorize::testing::write_jpeg;

TEST_F(CliTest, FolderWithCorruptFileDoesTheOthersAndFails) {
  write_bytes(dir_.file("a.jpg"), read_bytes(data_path("china.jpg")));
  write_bytes(dir_.file("b.png"), read_bytes(data_path("coffee.png")));
  write_bytes(dir_.file("broken.jpg"), "this is not a JPEG file at all");
  const CliRun r = colorize({dir_.path()});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("broken.jpg"), std::string::npos) << r.err;
  EXPECT_EQ(cv::imread(dir_.file("a-colorized.jpg")).size(),
            cv::Size(640, 427));
  EXPECT_EQ(cv::imread(dir_.file("b-colorized.png")).size(),
            cv::Size(600, 400));
  EXPECT_FALSE(exists(dir_.file("broken-colorized.jpg")));
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
  EXPECT_NE(r.err.find("2 colorized, 1 failed"), std::string::npos) << r.err;
}

TEST_F(CliTest, TruncatedJpegFailsAndLeavesNoFile) {
  const std::string bytes = read_bytes(data_path("flower.jpg"));
  write_bytes(dir_.file("cut.jpg"), bytes.substr(0, bytes.size() / 2));
  const CliRun r = colorize({dir_.file("cut.jpg")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cut.jpg"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(dir_.file("cut-colorized.jpg")));
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
}

TEST_F(CliTest, NeverOverwritesAnInputWithoutInPlace) {
  const std::string original = read_bytes(data_path("coffee.png"));
  write_bytes(dir_.file("c.png"), original);
  CliRun r = colorize({"--output", dir_.file("c.png"), dir_.file("c.png")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--in-place"), std::string::npos) << r.err;
  // An output folder that is the input's own folder: same file name.
  r = colorize({"--output", dir_.path() + "/", dir_.file("c.png")});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(read_bytes(dir_.file("c.png")), original);
}

TEST_F(CliTest, InPlaceReplacesTheInput) {
  const std::string original = read_bytes(data_path("coffee.png"));
  write_bytes(dir_.file("c.png"), original);
  const CliRun r = colorize({"--in-place", dir_.file("c.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(read_bytes(dir_.file("c.png")), original);
  const cv::Mat result = cv::imread(dir_.file("c.png"), cv::IMREAD_UNCHANGED);
  const cv::Mat input = cv::imread(data_path("coffee.png"));
  ASSERT_EQ(result.size(), input.size());
  EXPECT_LT(l_difference(result, input), 0.5);
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
}

TEST_F(CliTest, SixteenBitPngStaysSixteenBit) {
  cv::Mat gray(48, 80, CV_16UC1);
  for (int y = 0; y < gray.rows; ++y)
    for (int x = 0; x < gray.cols; ++x)
      gray.at<uint16_t>(y, x) = uint16_t(x * 800 + y * 37);
  ASSERT_TRUE(cv::imwrite(dir_.file("deep.png"), gray));
  // Strength 0: no colour to clip out of gamut, so L must survive at 16-bit
  // precision (an 8-bit detour would cost ~0.2 L on average).
  const CliRun r = colorize({"--strength", "0", dir_.file("deep.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  const cv::Mat out =
      cv::imread(dir_.file("deep-colorized.png"), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(out.type(), CV_16UC3);
  EXPECT_EQ(out.size(), gray.size());
  EXPECT_LT(l_difference(out, gray), 0.01);
  // 8-bit values scaled to 16 bits are multiples of 257.
  int not_8bit = 0;
  for (int y = 0; y < out.rows; ++y)
    for (int x = 0; x < out.cols; ++x)
      not_8bit += out.at<cv::Vec3w>(y, x)[1] % 257 != 0;
  EXPECT_GT(not_8bit, out.rows * out.cols / 2);
}

TEST_F(CliTest, PngAlphaIsKept) {
  cv::Mat bgra = cv::imread(data_path("chelsea.png"));
  cv::cvtColor(bgra, bgra, cv::COLOR_BGR2BGRA);
  for (int y = 0; y < bgra.rows; ++y)
    for (int x = 0; x < bgra.cols; ++x)
      bgra.at<cv::Vec4b>(y, x)[3] = uint8_t((x + 3 * y) % 256);
  ASSERT_TRUE(cv::imwrite(dir_.file("cat.png"), bgra));
  const CliRun r = colorize({"--output", dir_.file("out.png"), dir_.file("cat.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  const cv::Mat out = cv::imread(dir_.file("out.png"), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(out.type(), CV_8UC4);
  cv::Mat a_in, a_out;
  cv::extractChannel(bgra, a_in, 3);
  cv::extractChannel(out, a_out, 3);
  EXPECT_EQ(cv::norm(a_in, a_out, cv::NORM_INF), 0.0);
}

TEST_F(CliTest, JpegKeepsSizeBrightnessAndMarkers) {
  // rocket.jpg carries a COM marker; it must survive the streamed rewrite.
  const std::string in = data_path("rocket.jpg");
  ASSERT_NE(read_bytes(in).find("cmp3.10.3.2Lq3"), std::string::npos);
  const CliRun r = colorize({"--output", dir_.file("r.jpg"), "--quality", "95", in});
  ASSERT_EQ(r.status, 0) << r.err;
  const cv::Mat input = cv::imread(in);
  const cv::Mat out = cv::imread(dir_.file("r.jpg"));
  ASSERT_EQ(out.size(), input.size());
  EXPECT_LT(l_difference(out, input), 1.5);
  EXPECT_NE(read_bytes(dir_.file("r.jpg")).find("cmp3.10.3.2Lq3"),
            std::string::npos);
}

TEST_F(CliTest, JpegKeepsExifMarker) {
  cv::Mat rgb = cv::imread(data_path("flower.jpg"));
  cv::cvtColor(rgb, rgb, cv::COLOR_BGR2RGB);
  const std::string exif("Exif\0\0MM\0*\0\0\0\x08\0\0test-exif-payload", 30);
  write_jpeg(dir_.file("e.jpg"), rgb, exif);
  const CliRun r = colorize({dir_.file("e.jpg")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(read_bytes(dir_.file("e-colorized.jpg")).find(exif),
            std::string::npos);
}

/// Luminance quantisation table of a JPEG file (natural order).
std::vector<unsigned> luma_table(const std::string &path) {
  std::vector<unsigned> table;
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) return table;
  jpeg_decompress_struct d;
  jpeg_error_mgr err;
  d.err = jpeg_std_error(&err);
  jpeg_create_decompress(&d);
  jpeg_stdio_src(&d, f);
  jpeg_read_header(&d, TRUE);
  for (int i = 0; i < DCTSIZE2; ++i)
    table.push_back(d.quant_tbl_ptrs[0]->quantval[i]);
  jpeg_destroy_decompress(&d);
  std::fclose(f);
  return table;
}

TEST_F(CliTest, JpegKeepsCompressionUnlessQualityGiven) {
  const std::string in = data_path("china.jpg");
  CliRun r = colorize({"--output", dir_.file("same.jpg"), in});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(luma_table(dir_.file("same.jpg")), luma_table(in));
  r = colorize({"--quality", "30", "--output", dir_.file("q30.jpg"), in});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(luma_table(dir_.file("q30.jpg")), luma_table(in));
  EXPECT_LT(read_bytes(dir_.file("q30.jpg")).size(),
            read_bytes(dir_.file("same.jpg")).size());
}

TEST_F(CliTest, CmykJpegIsRefusedClearly) {
  cv::Mat cmyk(64, 96, CV_8UC4, cv::Scalar(10, 200, 30, 0));
  write_jpeg(dir_.file("k.jpg"), cmyk, "");
  const CliRun r = colorize({dir_.file("k.jpg")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("k.jpg: CMYK"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(dir_.file("k-colorized.jpg")));
}

TEST_F(CliTest, GrayJpegBecomesColourAndStrengthZeroIsGray) {
  cv::Mat gray = cv::imread(data_path("china.jpg"), cv::IMREAD_GRAYSCALE);
  ASSERT_TRUE(cv::imwrite(dir_.file("g.jpg"), gray));
  CliRun r = colorize({dir_.file("g.jpg")});
  ASSERT_EQ(r.status, 0) << r.err;
  const cv::Mat out = cv::imread(dir_.file("g-colorized.jpg"), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(out.channels(), 3);
  EXPECT_LT(l_difference(out, gray), 1.5);

  r = colorize({"--strength", "0", "--output", dir_.file("s0.png"),
                data_path("coffee.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  const cv::Mat s0 = cv::imread(dir_.file("s0.png"));
  std::vector<cv::Mat> ch;
  cv::split(s0, ch);
  EXPECT_LE(cv::norm(ch[0], ch[1], cv::NORM_INF), 1.0);
  EXPECT_LE(cv::norm(ch[1], ch[2], cv::NORM_INF), 1.0);
}

TEST_F(CliTest, SeveralInputsGoToOutputFolder) {
  const CliRun r = colorize({"--output", dir_.file("out"), data_path("china.jpg"),
                          data_path("astronaut.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(exists(dir_.file("out/china.jpg")));
  EXPECT_TRUE(exists(dir_.file("out/astronaut.png")));
}

TEST_F(CliTest, MissingModelIsNamed) {
  const std::string missing = dir_.file("no-such-model.pt");
  const CliRun r = run_cli({"--model", missing, data_path("china.jpg")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
}

TEST_F(CliTest, ModelGivingNanFailsAndWritesNothing) {
  // Finite on the load-time check's zeros, NaN where L < 50.
  const std::string json =
      colorize::serialize_model_info(colorize::testing::info_for(colorize::testing::tiny_unet(2)));
  const std::string model = colorize::testing::save_module(
      dir_.file("nan.pt"),
      colorize::testing::scripted_module("torch.cat([torch.sqrt(x), torch.sqrt(x)], 1)"),
      json.c_str());
  const CliRun r = run_cli({"--model", model, "--output", dir_.file("out.jpg"),
                            data_path("china.jpg")});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("the model produced non-finite values (NaN or Inf)"), std::string::npos)
      << r.err;
  EXPECT_FALSE(exists(dir_.file("out.jpg")));
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
}

// One picture: its model pass is the check (the message names the picture
// and the model). Several: the model is refused once, before any of them.
TEST_F(CliTest, BrokenModelIsReportedOnceAndWritesNothing) {
  const std::string json =
      colorize::serialize_model_info(colorize::testing::info_for(colorize::testing::tiny_unet(2)));
  const std::string model = colorize::testing::save_module(
      dir_.file("crop.pt"), colorize::testing::scripted_module("torch.cat([x, x], 1)[:, :, 1:, :]"),
      json.c_str());
  const CliRun one = run_cli({"--model", model, "--output", dir_.file("out.jpg"), data_path("china.jpg")});
  EXPECT_EQ(one.status, 1) << one.err;
  EXPECT_NE(one.err.find("china.jpg: " + model + ": forward() returns shape [1, 2, "), std::string::npos)
      << one.err;
  EXPECT_FALSE(exists(dir_.file("out.jpg")));

  const CliRun two = run_cli({"--model", model, "--output", dir_.file("out"), data_path("china.jpg"),
                              data_path("astronaut.png")});
  EXPECT_EQ(two.status, 1) << two.err;
  const std::string refused = "cannot load the model: " + model + ": forward() returns shape [1, 2, ";
  const size_t first = two.err.find(refused);
  EXPECT_NE(first, std::string::npos) << two.err;
  EXPECT_EQ(two.err.find("forward()", first + refused.size()), std::string::npos) << two.err;
  EXPECT_FALSE(exists(dir_.file("out/china.jpg")));
  EXPECT_FALSE(exists(dir_.file("out/astronaut.png")));
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
}

TEST_F(CliTest, UsageErrors) {
  EXPECT_EQ(colorize({"--strength", "5", data_path("china.jpg")}).status, 2);
  EXPECT_EQ(colorize({"--strength", "abc", data_path("china.jpg")}).status, 2);
  EXPECT_EQ(colorize({"--device", "tpu", data_path("china.jpg")}).status, 2);
  EXPECT_EQ(colorize({"--quality", "101", data_path("china.jpg")}).status, 2);
  EXPECT_EQ(colorize({}).status, 2);
  EXPECT_EQ(run_cli({"--list-models", data_path("china.jpg")}).status, 2);
  const CliRun help = run_cli({"--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
  EXPECT_NE(help.out.find("--list-models"), std::string::npos);
  EXPECT_NE(help.out.find("COLORIZE_MODEL_PATH"), std::string::npos);
}

}  // namespace
