// colorize-train's command line and terminal report on input it cannot use:
// an export to a folder, a run without usable validation photos.
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include "cli_support.h"
#include "report.h"

namespace {

using colorize::testing::CliRun;
using colorize::testing::run_program;
using colorize::testing::TempDir;

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

TEST(TrainerCli, ExportToAFolderIsAUsageError) {
  const char *exe = std::getenv("COLORIZE_TRAIN");
  ASSERT_NE(exe, nullptr) << "COLORIZE_TRAIN is not set (run the tests with meson test)";
  TempDir dir;
  ASSERT_EQ(g_mkdir(dir.file("models").c_str(), 0755), 0);
  // A name ending in '/' (existing or not) and an existing folder.
  for (const std::string &out : {dir.file("new/"), dir.file("models/"), dir.file("models")}) {
    const CliRun r = run_program({exe, "export", "--checkpoint", dir.file("epoch-0001"), "--out", out});
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "colorize-train: --out " + out + " is a folder; give the model file "
                                "to write (e.g. --out "))
        << r.err;
    EXPECT_TRUE(contains(r.err, "/model.pt)")) << r.err;
    EXPECT_FALSE(contains(r.err, "Not a directory")) << r.err;
  }
  EXPECT_FALSE(g_file_test(dir.file("new").c_str(), G_FILE_TEST_EXISTS));
}

/// What ProgressPrinter::epoch_done prints for `stats`.
std::string epoch_line(const colorize::train::EpochStats &stats) {
  std::ostringstream text;
  std::streambuf *saved = std::cerr.rdbuf(text.rdbuf());
  colorize::train::ProgressPrinter(false).epoch_done(stats, 10, 60);
  std::cerr.rdbuf(saved);
  return text.str();
}

TEST(TrainerReport, EpochWithoutValidationPhotosSaysSo) {
  colorize::train::EpochStats stats;
  stats.epoch = 1;
  stats.phase = "l1";
  // The scores of no photos: ScoreSums::mean() of nothing.
  const std::string none = epoch_line(stats);
  EXPECT_TRUE(contains(none, " | no validation photos | ETA ")) << none;
  EXPECT_FALSE(contains(none, "PSNR")) << none;

  stats.val.psnr = 23.456;
  stats.val.delta_ab = 7.5;
  stats.val.colorfulness = 20;
  const std::string some = epoch_line(stats);
  EXPECT_TRUE(contains(some, " | val PSNR 23.46 dB, dE(ab) 7.50, colourfulness 20.0 | ETA "))
      << some;
}

}  // namespace
