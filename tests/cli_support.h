// Helpers of the tests of the `colorize` program: run the built binary
// (path in $COLORIZE_CLI) as a user would, on files in a temporary folder,
// with a tiny untrained model.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "support.h"

namespace colorize::testing {

struct CliRun {
  int status = -1;  ///< exit code, -1 when it did not exit normally
  std::string out, err;
};

/// Runs the program with `args`; `env` (name, value) pairs are set in its
/// environment on top of this process's.
CliRun run_cli(const std::vector<std::string> &args,
               const std::vector<std::pair<std::string, std::string>> &env = {});

std::string read_bytes(const std::string &path);
void write_bytes(const std::string &path, const std::string &bytes);
bool exists(const std::string &path);

/// Names in `dir` starting with '.', i.e. leftover temporary files.
std::vector<std::string> hidden_files(const std::string &dir);

/// Mean absolute difference of the L channels of two BGR(A)/gray images.
double l_difference(const cv::Mat &a, const cv::Mat &b);

/// Writes `pixels` (8-bit, 3 = RGB or 4 = CMYK channels) as a JPEG with
/// libjpeg directly, adding an APP1 marker with `app1` when not empty.
/// (OpenCV can write neither CMYK nor extra markers.)
void write_jpeg(const std::string &path, const cv::Mat &pixels,
                const std::string &app1);

/// A temporary folder per test and one tiny model (depth 4, width 8: size
/// multiple 16) for the whole suite.
class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

  /// The program with --model <the tiny model> and `args`.
  CliRun colorize(std::vector<std::string> args);

  TempDir dir_;
  static TempDir *model_dir_;
  static std::string model_;
};

}  // namespace colorize::testing
