// The `colorize` program on hostile input: damaged JPEG data, sizes over
// the pixel limit, absurd option values, a model pass that runs out of
// memory. The damaged and oversized files are made here from the fixture
// photos.
#include <chrono>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "cli_support.h"
#include "colorize/metadata.h"
#include "failure.h"
#include "greedy_model.h"
#include "image_check.h"

namespace {

using colorize::testing::CliRun;
using colorize::testing::CliTest;
using colorize::testing::data_path;
using colorize::testing::exists;
using colorize::testing::hidden_files;
using colorize::testing::read_bytes;
using colorize::testing::run_cli;
using colorize::testing::write_bytes;

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

/// The first half of a JPEG file with an end-of-image marker appended:
/// libjpeg warns and fills the missing half in gray.
std::string cut_jpeg(const std::string &photo) {
  const std::string bytes = read_bytes(data_path(photo));
  return bytes.substr(0, bytes.size() / 2) + "\xFF\xD9";
}

void put16(std::string &bytes, size_t at, int value) {
  bytes[at] = char(value >> 8);
  bytes[at + 1] = char(value & 0xFF);
}

/// The JPEG file with the size in its frame header (SOF0-2) replaced.
std::string jpeg_claiming(const std::string &photo, int width, int height) {
  std::string bytes = read_bytes(data_path(photo));
  for (size_t i = 2; i + 9 < bytes.size(); ++i) {
    const auto marker = uint8_t(bytes[i + 1]);
    if (uint8_t(bytes[i]) == 0xFF && marker >= 0xC0 && marker <= 0xC2) {
      put16(bytes, i + 5, height);
      put16(bytes, i + 7, width);
      return bytes;
    }
  }
  ADD_FAILURE() << photo << " has no frame header";
  return bytes;
}

/// The lines of `text` that contain `part`.
int lines_with(const std::string &text, const std::string &part) {
  int n = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    n += text.substr(start, end - start).find(part) != std::string::npos;
    start = end + 1;
  }
  return n;
}

TEST_F(CliTest, CutJpegFailsWhateverFormatItGoesTo) {
  const std::string cut = dir_.file("cut.jpg");
  write_bytes(cut, cut_jpeg("flower.jpg"));
  // OpenCV alone reads it: libjpeg makes up the missing half.
  ASSERT_FALSE(cv::imread(cut).empty());
  // A JPEG named like a PNG goes through OpenCV; it is checked all the same.
  const std::string disguised = dir_.file("disguised.png");
  write_bytes(disguised, cut_jpeg("flower.jpg"));
  for (const auto &[input, output] :
       std::vector<std::pair<std::string, std::string>>{
           {cut, dir_.file("out.jpg")},
           {cut, dir_.file("out.png")},
           {disguised, dir_.file("out2.png")}}) {
    const CliRun r = colorize({"--output", output, input});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_TRUE(contains(r.err, input + ": damaged JPEG data (libjpeg: Corrupt "
                                "JPEG data: premature end of data segment)"))
        << r.err;
    EXPECT_TRUE(contains(r.err, "--accept-corrupt")) << r.err;
    EXPECT_FALSE(exists(output)) << output;
  }
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
}

TEST_F(CliTest, AcceptCorruptColorizesDamagedJpegWithAWarning) {
  const std::string cut = dir_.file("cut.jpg");
  write_bytes(cut, cut_jpeg("flower.jpg"));
  const cv::Size size = cv::imread(data_path("flower.jpg")).size();
  for (const std::string out : {"out.jpg", "out.png"}) {
    const CliRun r =
        colorize({"--accept-corrupt", "--output", dir_.file(out), cut});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.err, cut + ": warning: damaged JPEG data accepted "
                                "(libjpeg: Corrupt JPEG data"))
        << r.err;
    EXPECT_EQ(cv::imread(dir_.file(out)).size(), size) << out;
  }
}

TEST_F(CliTest, HugeJpegHeaderIsRefusedBeforeDecoding) {
  const std::string huge = dir_.file("huge.jpg");
  write_bytes(huge, jpeg_claiming("chelsea-bw.jpg", 65000, 65000));
  for (const std::string out : {"out.jpg", "out.png"}) {
    const auto started = std::chrono::steady_clock::now();
    const CliRun r = colorize({"--output", dir_.file(out), huge});
    const double seconds = std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - started)
                               .count();
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_TRUE(contains(r.err, huge + ": 65000x65000 pixels (4225 megapixels) "
                                "is more than the limit of 300 megapixels"))
        << r.err;
    EXPECT_TRUE(contains(r.err, "--max-megapixels")) << r.err;
    EXPECT_FALSE(exists(dir_.file(out)));
    // Decoding and writing it takes minutes; refusing it, the model load.
    EXPECT_LT(seconds, 60.0);
  }
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
}

TEST_F(CliTest, MaxMegapixelsSetsTheLimitForEveryFormat) {
  // chelsea-bw.jpg is 451x300 (0.14 MP), coffee.png 600x400 (0.24 MP).
  const std::string jpeg = data_path("chelsea-bw.jpg");
  CliRun r = colorize({"--max-megapixels", "0.1", "--output",
                       dir_.file("a.jpg"), jpeg});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, jpeg + ": 451x300 pixels (0.14 megapixels) is "
                              "more than the limit of 0.1 megapixels"))
      << r.err;
  r = colorize({"--max-megapixels", "0.2", "--output", dir_.file("a.jpg"), jpeg});
  EXPECT_EQ(r.status, 0) << r.err;

  // PNG: from the header (a decoder would fail on the header's checksum).
  std::string png = read_bytes(data_path("coffee.png"));
  for (size_t at : {16, 20}) png.replace(at, 4, std::string("\0\0\x4E\x20", 4));
  write_bytes(dir_.file("big.png"), png);
  r = colorize({dir_.file("big.png")});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "big.png: 20000x20000 pixels (400 megapixels) is "
                              "more than the limit of 300 megapixels"))
      << r.err;

  // Other formats once decoded.
  ASSERT_TRUE(cv::imwrite(dir_.file("c.bmp"), cv::imread(data_path("coffee.png"))));
  r = colorize({"--max-megapixels", "0.2", dir_.file("c.bmp")});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "c.bmp: 600x400 pixels (0.24 megapixels) is "
                              "more than the limit of 0.2 megapixels"))
      << r.err;
  EXPECT_FALSE(exists(dir_.file("c-colorized.bmp")));
  r = colorize({"--max-megapixels", "0.3", dir_.file("c.bmp")});
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST_F(CliTest, OpenCvSizeLimitIsAClearError) {
  // OpenCV refuses more than 2^30 pixels from the header, with an exception.
  write_bytes(dir_.file("big.pgm"), "P5\n40000 40000\n255\n" + std::string(64, '\0'));
  const CliRun r = colorize({dir_.file("big.pgm")});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "big.pgm: larger than OpenCV reads")) << r.err;
  EXPECT_TRUE(contains(r.err, "OPENCV_IO_MAX_IMAGE_PIXELS")) << r.err;
}

TEST_F(CliTest, AbsurdOptionValuesAreUsageErrors) {
  const std::string in = data_path("chelsea-bw.jpg");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--resolution", "4097"}, "--resolution must be between 1 and 4096"},
      {{"--resolution", "100000"}, "not 100000"},
      {{"--resolution", "-1"}, "--resolution must be between 1 and 4096"},
      {{"--threads", "257"}, "--threads must be between 1 and 256"},
      {{"--threads", "100000"}, "not 100000"},
      {{"--max-megapixels", "0"}, "--max-megapixels must be more than 0"},
      {{"--max-megapixels", "-5"}, "--max-megapixels must be more than 0"},
      {{"--max-megapixels", "1e9"}, "at most 4295"},
      {{"--strength", "nan"}, "--strength must be between 0 and 2, not nan"},
      {{"--strength", "inf"}, "--strength must be between 0 and 2, not inf"},
      {{"--strength", "-inf"}, "not -inf"},
      {{"--strength", "2.5"}, "not 2.5"},
  };
  for (const auto &[args, message] : cases) {
    std::vector<std::string> argv = args;
    argv.push_back(in);
    const CliRun r = colorize(argv);
    EXPECT_EQ(r.status, 2) << args[0] << " " << args[1] << "\n" << r.err;
    EXPECT_TRUE(contains(r.err, message)) << r.err;
  }
  EXPECT_EQ(colorize::kMaxResolution, 4096);  // the messages above
  const CliRun help = run_cli({"--help"});
  for (const char *text : {"--max-megapixels", "--accept-corrupt", "at most 4096",
                           "at most 256", "(default 300)", "65535 pixels a side"})
    EXPECT_TRUE(contains(help.out, text)) << text << "\n" << help.out;
}

TEST_F(CliTest, ModelWithAbsurdSizesIsRefused) {
  for (const auto &[key, value] : std::vector<std::pair<std::string, int>>{
           {"input_size", 100000}, {"size_multiple", 100000}}) {
    auto info = colorize::testing::info_for(colorize::testing::tiny_unet(2));
    (key == "input_size" ? info.input_size : info.size_multiple) = value;
    const std::string model = colorize::testing::save_module(
        dir_.file(key + ".pt"), colorize::testing::scripted_module("torch.cat([x, x], 1)"),
        colorize::serialize_model_info(info).c_str());
    const CliRun r = run_cli({"--model", model, "--output", dir_.file("o.png"),
                              data_path("coffee.png")});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_TRUE(contains(r.err, "\"" + key + "\" is 100000; it must be at most"))
        << r.err;
    EXPECT_FALSE(exists(dir_.file("o.png")));
  }
}

TEST_F(CliTest, OutOfMemoryIsOneLineAndVerboseGivesTheReport) {
  const std::string json = colorize::serialize_model_info(
      colorize::testing::info_for(colorize::testing::tiny_unet(2)));
  const std::string model = colorize::testing::save_module(
      dir_.file("greedy.pt"), colorize::testing::scripted_module(colorize::testing::kGreedyForward),
      json.c_str());
  const std::string in = data_path("china.jpg");
  const CliRun r = run_cli({"--model", model, "--output", dir_.file("o.jpg"), in});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "out of memory while colorizing " + in + " (the model "
                              "pass on an input of shape [1, 1, "))
      << r.err;
  EXPECT_EQ(lines_with(r.err, "memory"), 1) << r.err;
  for (const char *noise : {"Traceback", "frame #", "Exception raised from"})
    EXPECT_FALSE(contains(r.err, noise)) << noise << "\n" << r.err;
  EXPECT_FALSE(exists(dir_.file("o.jpg")));
  EXPECT_TRUE(hidden_files(dir_.path()).empty());

  const CliRun v = run_cli({"-v", "--model", model, "--output", dir_.file("o.jpg"), in});
  EXPECT_EQ(v.status, 1) << v.err;
  EXPECT_TRUE(contains(v.err, "out of memory while colorizing " + in)) << v.err;
  EXPECT_GT(lines_with(v.err, "memory"), 1) << v.err;
}

TEST(FailureReport, OutOfMemoryFromAnyLibraryIsOneLine) {
  using colorize::cli::failure_report;
  EXPECT_EQ(failure_report("a.png", std::bad_alloc(), false),
            "out of memory while colorizing a.png (std::bad_alloc)");
  const cv::Exception no_memory(cv::Error::StsNoMem, "Failed to allocate 123 bytes",
                                "OutOfMemoryError", "alloc.cpp", 73);
  EXPECT_EQ(failure_report("a.png", no_memory, false),
            "out of memory while colorizing a.png (OpenCV: Failed to allocate 123 bytes)");
  const std::string verbose = failure_report("a.png", no_memory, true);
  EXPECT_EQ(verbose.rfind("out of memory while colorizing a.png (OpenCV: Failed to "
                          "allocate 123 bytes)\n", 0), 0u) << verbose;
  EXPECT_TRUE(contains(verbose, "alloc.cpp")) << verbose;
  // LibTorch's report as the TorchScript interpreter passes it on.
  const std::runtime_error torch_error(
      "The following operation failed in the TorchScript interpreter.\n"
      "Traceback of TorchScript (most recent call last):\n"
      "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB\n");
  EXPECT_EQ(failure_report("a.png", torch_error, false),
            "out of memory while colorizing a.png (RuntimeError: CUDA out of memory. "
            "Tried to allocate 2.00 GiB)");
  // Other errors keep their own text, with the option that helps.
  EXPECT_EQ(failure_report("a.jpg", colorize::cli::CorruptJpeg("damaged JPEG data"), false),
            "a.jpg: damaged JPEG data; --accept-corrupt colorizes it anyway");
  EXPECT_EQ(failure_report("a.jpg", colorize::ImageError("no such file"), true),
            "a.jpg: no such file");
}

}  // namespace
