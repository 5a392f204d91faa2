// The `colorize` program and the model search path: models found by name,
// --list-models. Runs the built binary as a user would.
#include <filesystem>
#include <string>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "cli_support.h"
#include "colorize/model_path.h"

namespace {

using colorize::testing::CliRun;
using colorize::testing::CliTest;
using colorize::testing::data_path;
using colorize::testing::exists;
using colorize::testing::read_bytes;
using colorize::testing::run_cli;
using colorize::testing::write_bytes;

/// Models found by name: $COLORIZE_MODEL_PATH = first:second, and the user's
/// data folder moved to a temporary one (XDG_DATA_HOME), so the real user's
/// models play no part.
class CliModelPathTest : public CliTest {
 protected:
  void SetUp() override {
    for (const auto *d : {&first_, &second_, &empty_})
      ASSERT_EQ(g_mkdir_with_parents(d->c_str(), 0777), 0);
    user_models_ = data_home_ + "/gimp-colorize/models";
  }

  /// The program with COLORIZE_MODEL_PATH = `folders` (':'-joined).
  CliRun run_with_path(const std::vector<std::string> &args,
                       const std::vector<std::string> &folders) {
    std::string path;
    for (const auto &f : folders)
      path += (path.empty() ? "" : G_SEARCHPATH_SEPARATOR_S) + f;
    return run_cli(args, {{"COLORIZE_MODEL_PATH", path},
                          {"XDG_DATA_HOME", data_home_}});
  }
  CliRun run_in_path(const std::vector<std::string> &args) {
    return run_with_path(args, {first_, second_});
  }

  void copy_model(const std::string &to) {
    const std::string dir = std::filesystem::path(to).parent_path().string();
    ASSERT_EQ(g_mkdir_with_parents(dir.c_str(), 0777), 0);
    write_bytes(to, read_bytes(model_));
  }
  /// A small model whose colorize.json carries `description`.
  void write_described(const std::string &path, const std::string &description) {
    const auto config = colorize::testing::tiny_unet();
    colorize::ModelInfo info = colorize::testing::info_for(config);
    info.description = description;
    info.license = "CC0-1.0";
    colorize::testing::write_model(path, config, info);
  }

  /// True when the installed model folder (last in every search path) holds
  /// `file`: a test that needs it absent is skipped then.
  static bool installed(const std::string &file) {
    return exists(colorize::installed_model_dir() + "/" + file);
  }

  const std::string first_ = dir_.file("first");
  const std::string second_ = dir_.file("second");
  const std::string empty_ = dir_.file("empty");
  const std::string data_home_ = dir_.file("data-home");
  std::string user_models_;
};

TEST_F(CliModelPathTest, DefaultModelIsFoundWithoutModelOption) {
  copy_model(second_ + "/colorize-default.pt");
  const CliRun r = run_in_path({"-v", "--output", dir_.file("out.png"),
                                data_path("coffee.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("model " + second_ + "/colorize-default.pt on "),
            std::string::npos) << r.err;
  EXPECT_EQ(cv::imread(dir_.file("out.png")).size(), cv::Size(600, 400));
}

TEST_F(CliModelPathTest, FirstFolderWins) {
  copy_model(first_ + "/colorize-default.pt");
  write_bytes(second_ + "/colorize-default.pt", "not a model");
  CliRun r = run_in_path({"-v", "--output", dir_.file("a.png"),
                          data_path("coffee.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find(first_ + "/colorize-default.pt"), std::string::npos) << r.err;
  // the other way round, the broken file is the one used
  r = run_with_path({"--output", dir_.file("b.png"), data_path("coffee.png")},
                    {second_, first_});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(second_ + "/colorize-default.pt: not a TorchScript model file"),
            std::string::npos) << r.err;
  EXPECT_FALSE(exists(dir_.file("b.png")));
}

TEST_F(CliModelPathTest, ModelOptionTakesANameOrAPath) {
  copy_model(second_ + "/mine.pt");
  for (const std::string name : {"mine", "mine.pt"}) {
    const CliRun r = run_in_path({"-v", "--model", name, "--output",
                                  dir_.file(name + ".png"), data_path("coffee.png")});
    ASSERT_EQ(r.status, 0) << name << ": " << r.err;
    EXPECT_NE(r.err.find("model " + second_ + "/mine.pt on "), std::string::npos)
        << r.err;
  }
  // a path is used as it is, even outside the search path
  const CliRun r = run_in_path({"-v", "--model", model_, "--output",
                                dir_.file("p.png"), data_path("coffee.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("model " + model_ + " on "), std::string::npos) << r.err;
}

TEST_F(CliModelPathTest, UserDataFolderIsSearchedAfterThePath) {
  copy_model(user_models_ + "/colorize-default.pt");
  copy_model(user_models_ + "/mine.pt");
  copy_model(first_ + "/mine.pt");
  CliRun r = run_in_path({"-v", "--output", dir_.file("u.png"), data_path("coffee.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("model " + user_models_ + "/colorize-default.pt on "),
            std::string::npos) << r.err;
  r = run_in_path({"-v", "--model", "mine", "--output", dir_.file("m.png"),
                   data_path("coffee.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("model " + first_ + "/mine.pt on "), std::string::npos) << r.err;
}

TEST_F(CliModelPathTest, UnknownNameNamesTheFoldersSearched) {
  const CliRun r = run_in_path({"--model", "no-such-model-here", "--output",
                                dir_.file("x.png"), data_path("coffee.png")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no-such-model-here"), std::string::npos) << r.err;
  for (const auto &folder : {first_, second_, user_models_,
                             colorize::installed_model_dir()})
    EXPECT_NE(r.err.find(folder), std::string::npos) << folder << "\n" << r.err;
  EXPECT_FALSE(exists(dir_.file("x.png")));
}

TEST_F(CliModelPathTest, MissingDefaultModelSuggestsModelOption) {
  if (installed("colorize-default.pt"))
    GTEST_SKIP() << "a default model is installed in "
                 << colorize::installed_model_dir();
  copy_model(second_ + "/other.pt");
  const CliRun r = run_in_path({"--output", dir_.file("x.png"), data_path("coffee.png")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("colorize-default.pt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--model FILE"), std::string::npos) << r.err;
  for (const auto &folder : {first_, second_, user_models_})
    EXPECT_NE(r.err.find(folder), std::string::npos) << folder << "\n" << r.err;
  EXPECT_FALSE(exists(dir_.file("x.png")));
}

TEST_F(CliModelPathTest, ListModelsShowsEveryModelAndReportsBrokenOnes) {
  write_described(first_ + "/alpha.pt", "Alpha, for the listing test");
  write_described(first_ + "/colorize-default.pt", "Default of the first folder");
  write_bytes(first_ + "/broken.pt", "not a model file");
  write_described(second_ + "/colorize-default.pt", "Default of the second folder");
  write_described(second_ + "/zeta.pt", "Zeta, in the second folder");
  ASSERT_EQ(g_mkdir_with_parents(user_models_.c_str(), 0777), 0);
  write_described(user_models_ + "/own.pt", "The user's own model");

  const CliRun r = run_in_path({"--list-models"});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const std::string &text : std::vector<std::string>{
           "alpha\n", "Alpha, for the listing test", "colorize-default (default)",
        "Default of the first folder", "zeta\n", "Zeta, in the second folder",
        "own\n", "The user's own model", "colour space: lab",
        "resolution:   8 px", "licence:      CC0-1.0", "broken\n",
        first_ + "/broken.pt: not a TorchScript model file",
        first_ + "/alpha.pt", first_ + "/colorize-default.pt",
        second_ + "/zeta.pt", user_models_ + "/own.pt"})
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  // the second folder's default is hidden by the first's
  EXPECT_EQ(r.out.find("Default of the second folder"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(second_ + "/colorize-default.pt"), std::string::npos) << r.out;
  // listed in search-path order
  EXPECT_LT(r.out.find("alpha\n"), r.out.find("zeta\n"));
  EXPECT_LT(r.out.find("zeta\n"), r.out.find("own\n"));
}

TEST_F(CliModelPathTest, ListModelsWithNoModelsSaysWhereItLooked) {
  if (!colorize::list_models({colorize::installed_model_dir()}).empty())
    GTEST_SKIP() << "models are installed in " << colorize::installed_model_dir();
  const CliRun r = run_with_path({"--list-models"}, {empty_, dir_.file("missing")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("No model files"), std::string::npos) << r.out;
  for (const auto &folder : {empty_, dir_.file("missing"), user_models_,
                             colorize::installed_model_dir()})
    EXPECT_NE(r.out.find(folder), std::string::npos) << folder << "\n" << r.out;
  EXPECT_NE(r.out.find(dir_.file("missing") + " (does not exist)"), std::string::npos)
      << r.out;
}


}  // namespace
