// Helpers of the tests of the `colorize` program: run the built binary
// (path in $COLORIZE_CLI) as a user would, on files in a temporary folder,
// with a tiny untrained model.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "support.h"

namespace colorize::testing {

struct CliRun {
  int status = -1;  ///< exit code, -1 when it did not exit normally
  std::string out, err;
};

using Environment = std::vector<std::pair<std::string, std::string>>;

/// Runs the program with `args`; `env` (name, value) pairs are set in its
/// environment on top of this process's. `setup` (with `setup_data`) runs
/// in the child before the program starts (async-signal-safe calls only).
CliRun run_cli(const std::vector<std::string> &args, const Environment &env = {},
               GSpawnChildSetupFunc setup = nullptr, gpointer setup_data = nullptr);

/// The same for any program: argv[0] is looked up in $PATH.
CliRun run_program(const std::vector<std::string> &argv, const Environment &env = {},
                   GSpawnChildSetupFunc setup = nullptr,
                   gpointer setup_data = nullptr);

/// $COLORIZE_CLI, the program under test ("" after a test failure when it
/// is not set).
std::string cli_path();

/// The program running in the background, for tests that signal or kill
/// it. Killed (SIGKILL) when the object goes, if still running.
class CliProcess {
 public:
  /// Starts the program with `args` (stdout discarded, stderr collected)
  /// and `env` added to its environment.
  explicit CliProcess(const std::vector<std::string> &args,
                      const Environment &env = {});
  ~CliProcess();
  CliProcess(const CliProcess &) = delete;
  CliProcess &operator=(const CliProcess &) = delete;

  /// Waits until its stderr holds `text`; false when it does not within
  /// `seconds` or the program has ended.
  bool wait_for(const std::string &text, double seconds);
  void signal(int sig);
  GPid pid() const { return pid_; }
  /// Waits for it to end, at most `seconds` (then kills it and fails the
  /// test): its exit status (-1 when killed by a signal) and stderr.
  CliRun finish(double seconds);

 private:
  void read_stderr();
  bool ended();

  GPid pid_ = 0;
  int err_fd_ = -1;
  bool running_ = false;
  int wait_status_ = 0;
  std::string err_;
};

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
