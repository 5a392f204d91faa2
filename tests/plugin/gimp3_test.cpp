// End-to-end tests of the GIMP 3.0 plug-in with real, headless GIMP.
//
// One gimp-console-3.0 run executes every case of tests/plugin/
// gimp3_cases.py, gimp3_state_cases.py and gimp3_hint_cases.py through the python-fu-eval batch
// interpreter; the Python cases assert on the pixels themselves and print "CASE <name> ok" or
// "CASE <name> FAIL: <why>", and each test here checks one such line. A
// second run checks the German error message, a third runs the README's
// batch snippet (tests/plugin/colorize-folder-gimp3.py) the way the README
// shows it, with the default model found beside the plug-in. Skipped,
// visibly, when
// gimp-console-3.0 is not installed (it is in the Debian 13 chroot of
// .ci/test-gimp3).

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "plugin/gimp_run.h"
#include "support.h"

namespace {

using colorize::testing::data_path;
using colorize::testing::TempDir;

constexpr int kGimpTimeoutSeconds = 300;

std::string env(const char *name) {
  const char *value = g_getenv(name);
  EXPECT_NE(value, nullptr) << name << " is not set (run through meson test)";
  return value ? value : "";
}

void spit(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// A tiny untrained U-Net whose output layer adds a fixed colour cast: the
// untrained network's own a,b are close to 0 (how close depends on the
// LibTorch version's random numbers), the cast makes the colours of every
// pixel clearly visible whatever the version.
void write_cast_model(const std::string &path) {
  colorize::nets::UNetConfig config = colorize::testing::tiny_unet();
  colorize::ModelInfo info = colorize::testing::info_for(config);
  info.input_size = 64;
  torch::manual_seed(1234);
  torch::jit::Module module = colorize::nets::build_unet(config);
  module.eval();
  int casts = 0;
  for (const auto &p : module.named_parameters(/*recurse=*/true)) {
    if (p.value.dim() == 1 && p.value.size(0) == 2) {  // the a,b bias
      torch::NoGradGuard no_grad;
      p.value.copy_(torch::tensor({0.15f, -0.1f}));
      ++casts;
    }
  }
  ASSERT_EQ(casts, 1) << "expected one a,b bias in the U-Net";
  colorize::testing::save_module(
    path, module, colorize::serialize_model_info(info).c_str());
}

// A temp folder with the plug-in (symlinked from the build tree, its
// translations beside it as locale/) and the model files; runs GIMP 3.0
// with a fresh profile, HOME and caches inside that folder.
class Gimp3Run {
 public:
  Gimp3Run() {
    gchar *gimp = g_find_program_in_path("gimp-console-3.0");
    if (!gimp)
      return;
    gimp_ = gimp;
    g_free(gimp);

    const std::string plugin_dir = dir_.file("plug-ins/gimp-colorize-pix2pix");
    g_mkdir_with_parents(plugin_dir.c_str(), 0700);
    // symlinks: the binary finds libcolorize-core through its build rpath
    use_plugin("COLORIZE_PLUGIN");
    EXPECT_EQ(symlink(env("COLORIZE_PLUGIN_LOCALE").c_str(),
                      (plugin_dir + "/locale").c_str()), 0);

    write_cast_model(model());
    // the default model (no model file given) found beside the plug-in
    g_mkdir_with_parents((plugin_dir + "/models").c_str(), 0700);
    EXPECT_EQ(symlink(model().c_str(),
                      (plugin_dir + "/models/colorize-default.pt").c_str()),
              0);
    spit(garbage_model(), "this is not a TorchScript archive\n");
    colorize::testing::write_failing_model(dir_.file("failing.pt"));
    colorize::testing::write_color_model(dir_.file("color.pt"));
    colorize::testing::write_hint_model(dir_.file("hints.pt"));
    colorize::testing::write_gray_pngs(file("gray.png"), file("gray3.png"));
    g_mkdir_with_parents(file("out").c_str(), 0700);
  }

  bool available() const { return !gimp_.empty(); }

  // Links the plug-in binary named by the environment variable `var` into
  // the plug-in folder (GIMP queries it again when the binary changes).
  void use_plugin(const char *var) {
    const std::string link =
      dir_.file("plug-ins/gimp-colorize-pix2pix/gimp-colorize-pix2pix");
    unlink(link.c_str());
    EXPECT_EQ(symlink(env(var).c_str(), link.c_str()), 0) << var;
  }
  std::string model() const { return dir_.file("model.pt"); }
  std::string missing_model() const { return dir_.file("missing.pt"); }
  std::string garbage_model() const { return dir_.file("garbage.pt"); }
  std::string file(const std::string &name) const { return dir_.file(name); }

  // Runs the cases named in `cases` ("" = all) under `lang`, with LOCPATH
  // = `locpath` when not empty, in a fresh profile named `profile`. The
  // Python comes from `script`, a shell command list writing it to stdout
  // ("" = gimp3_cases.py).
  std::string run(const std::string &profile, const std::string &cases,
                  const std::string &lang, const std::string &locpath,
                  int *exit_status, const std::string &script = "",
                  const std::string &exit_at = "") {
    const std::string home = dir_.file(profile);
    for (const char *sub : {"", "/gimp", "/config", "/cache", "/tmp"})
      g_mkdir_with_parents((home + sub).c_str(), 0700);
    // keep GIMP's own plug-ins (python-fu-eval, file-png) in the path
    const std::string rc = home + "/gimprc";
    spit(rc, "(plug-in-path \"" + home + "/gimp/profile/plug-ins:" +
                 env("COLORIZE_GIMP_PLUGIN_DIR") + ":" +
                 dir_.file("plug-ins") + "\")\n");

    gchar **envp = g_get_environ();
    const std::pair<const char *, std::string> vars[] = {
      {"HOME", home},
      {"GIMP3_DIRECTORY", home + "/gimp/profile"},
      {"XDG_CONFIG_HOME", home + "/config"},
      {"XDG_CACHE_HOME", home + "/cache"},
      {"TMPDIR", home + "/tmp"},
      {"LANG", lang},
      {"COLORIZE_T_PHOTO", data_path("chelsea.png")},
      {"COLORIZE_T_MODEL", model()},
      {"COLORIZE_T_MISSING", missing_model()},
      {"COLORIZE_T_GARBAGE", garbage_model()},
      {"COLORIZE_T_CASES", cases},
      {"COLORIZE_T_FAILING", dir_.file("failing.pt")},
      {"COLORIZE_T_COLOR", dir_.file("color.pt")},
      {"COLORIZE_T_HINTS", dir_.file("hints.pt")},
      {"COLORIZE_T_GRAY", file("gray.png")},
      {"COLORIZE_T_GRAY3", file("gray3.png")},
      {"COLORIZE_T_OUT", file("out")},
    };
    for (const auto &[name, value] : vars)
      envp = g_environ_setenv(envp, name, value.c_str(), TRUE);
    for (const char *name : {"LC_ALL", "LC_MESSAGES", "LANGUAGE", "DISPLAY"})
      envp = g_environ_unsetenv(envp, name);
    if (!locpath.empty())
      envp = g_environ_setenv(envp, "LOCPATH", locpath.c_str(), TRUE);
    // the test build of the plug-in ends itself at this progress fraction
    // (plugin-gimp3.c); the installed one has no such hook
    use_plugin(exit_at.empty() ? "COLORIZE_PLUGIN" : "COLORIZE_PLUGIN_TESTING");
    if (!exit_at.empty())
      envp = g_environ_setenv(envp, "COLORIZE_TEST_EXIT_AT", exit_at.c_str(),
                              TRUE);

    // python-fu-eval reads the script from stdin ("-b -")
    const std::string timeout = std::to_string(kGimpTimeoutSeconds);
    const std::string cases_dir = env("COLORIZE_PLUGIN_CASES");
    const std::string command =
      "{ " +
      (script.empty() ? "cat " + cases_dir + "/gimp3_hint_cases.py " + cases_dir + "/gimp3_state_cases.py " +
                          cases_dir + "/gimp3_cases.py"
                      : script) +
      "; } | timeout " + timeout + " " + gimp_ + " -i -d -f --gimprc=" + rc +
      " --batch-interpreter=python-fu-eval -b - --quit";
    const char *argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};

    gchar *out = nullptr, *err = nullptr;
    GError *error = nullptr;
    gint status = 0;
    gboolean spawned = g_spawn_sync(
      dir_.path().c_str(), const_cast<gchar **>(argv), envp,
      G_SPAWN_DEFAULT, nullptr, nullptr, &out, &err, &status, &error);
    g_strfreev(envp);
    EXPECT_TRUE(spawned) << (error ? error->message : "");
    g_clear_error(&error);
    // the cases' lines first, then GIMP's (noisy) stderr
    std::string log = std::string(out ? out : "") + "--- stderr ---\n" +
                      (err ? err : "");
    g_free(out);
    g_free(err);
    *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return log;
  }

 private:
  std::string gimp_;
  TempDir dir_;
};

class Gimp3Plugin : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    run_ = std::make_unique<Gimp3Run>();
    if (run_->available())
      log_ = run_->run("profile", "", "C.UTF-8", "", &status_);
  }
  static void TearDownTestSuite() { run_.reset(); }

  void SetUp() override {
    if (!run_->available())
      GTEST_SKIP() << "gimp-console-3.0 is not installed: GIMP 3.0 "
                      "end-to-end tests skipped (.ci/test-gimp3 runs them)";
    ASSERT_NE(log_.find("CASES DONE"), std::string::npos)
      << "GIMP exited with " << status_ << " before the end of the cases:\n"
      << log_;
  }

  // "CASE <name> ok", else the case's FAIL line and traceback.
  static void expect_ok(const std::string &name) {
    EXPECT_NE(log_.find("CASE " + name + " ok\n"), std::string::npos) << log_;
  }

  static std::unique_ptr<Gimp3Run> run_;
  static std::string log_;
  static int status_;
};

std::unique_ptr<Gimp3Run> Gimp3Plugin::run_;
std::string Gimp3Plugin::log_;
int Gimp3Plugin::status_ = 0;

TEST_F(Gimp3Plugin, GimpExitsCleanly) { EXPECT_EQ(status_, 0) << log_; }

TEST_F(Gimp3Plugin, ProcedureIsRegistered) { expect_ok("registered"); }

TEST_F(Gimp3Plugin, HintsLayerGivesItsColoursToAHintModel) { expect_ok("hints"); }

TEST_F(Gimp3Plugin, BadHintsAreRefusedAndTheLayerKept) { expect_ok("hints-refused"); }

TEST_F(Gimp3Plugin, WholeLayerIsColorizedAndKeepsLightness) {
  expect_ok("whole");
}

TEST_F(Gimp3Plugin, RectangleSelectionChangesOnlyTheSelection) {
  expect_ok("rect");
}

TEST_F(Gimp3Plugin, FeatheredSelectionBlendsProportionally) {
  expect_ok("feather");
}

TEST_F(Gimp3Plugin, LayerOffsetsAreRespected) { expect_ok("offsets"); }

TEST_F(Gimp3Plugin, AlphaIsUntouched) { expect_ok("alpha"); }

TEST_F(Gimp3Plugin, GrayImageIsConvertedToRgbAndColorized) {
  expect_ok("graymode");
}

TEST_F(Gimp3Plugin, SixteenBitImageKeepsItsPrecision) { expect_ok("rgb16"); }

TEST_F(Gimp3Plugin, NewLayerModeAddsAnLchColorLayer) {
  expect_ok("new-layer");
}

TEST_F(Gimp3Plugin, NewLayerSitsAtTheLayersOffsetsColouredInTheSelection) {
  expect_ok("new-layer-offsets");
}

TEST_F(Gimp3Plugin, BadModelFailsWithMessageAndLeavesLayerUntouched) {
  expect_ok("missing-model");
  expect_ok("garbage-model");
  EXPECT_NE(log_.find("MESSAGE The model file “" + run_->missing_model() +
                      "” does not exist."), std::string::npos) << log_;
}

// Refusals and failures: EXECUTION_ERROR, the image as it was (type,
// layers, dirty flag, pixels) and a message saying what failed.
TEST_F(Gimp3Plugin, ModelFailingOnTheImageLeavesItAsItWas) { expect_ok("model-pass"); }
TEST_F(Gimp3Plugin, LayerGroupIsRefusedWithAMessage) { expect_ok("layer-group"); }
TEST_F(Gimp3Plugin, IndexedLayerIsRefusedAsAnExecutionError) { expect_ok("indexed"); }

// A Gray PNG through the plug-in and GIMP's PNG export keeps its lightness
// as an RGB copy does (checked in GIMP, and here on the saved files).
TEST_F(Gimp3Plugin, GrayFileKeepsItsLightnessLikeAnRgbFile) {
  expect_ok("gray-file");
  const cv::Mat in = cv::imread(run_->file("gray.png"), cv::IMREAD_UNCHANGED);
  cv::Mat outs[2];
  for (int i = 0; i < 2; ++i) {
    const std::string name = i == 0 ? "gray.png" : "gray3.png";
    cv::Mat out = outs[i] = cv::imread(run_->file("out/" + name));
    ASSERT_EQ(out.size(), in.size()) << name;
    auto [mean, max] = colorize::testing::l_difference(in, out);
    EXPECT_LT(mean, 0.5) << name;
    EXPECT_LT(max, 3.0) << name;
  }
  // the same pixels give the same colours, whatever the image mode
  EXPECT_LE(cv::norm(outs[0], outs[1], cv::NORM_INF), 2.0);
}

TEST_F(Gimp3Plugin, ErrorMessageIsTranslatedToGerman) {
  TempDir locales;
  const std::string target = locales.file("de_DE.UTF-8");
  const char *argv[] = {"localedef", "-i", "de_DE", "-f", "UTF-8",
                        target.c_str(), nullptr};
  gint status = 0;
  if (!g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr,
                    GSpawnFlags(G_SPAWN_SEARCH_PATH |
                                G_SPAWN_STDOUT_TO_DEV_NULL |
                                G_SPAWN_STDERR_TO_DEV_NULL),
                    nullptr, nullptr, nullptr, nullptr, &status, nullptr) ||
      !g_file_test(target.c_str(), G_FILE_TEST_IS_DIR))
    GTEST_SKIP() << "cannot make a de_DE.UTF-8 locale with localedef";

  int exit_status = 0;
  // the first run's profile: GIMP then skips querying every plug-in again
  std::string log = run_->run("profile", "missing-model", "de_DE.UTF-8",
                              locales.path(), &exit_status);
  EXPECT_NE(log.find("CASE missing-model ok"), std::string::npos) << log;
  EXPECT_NE(log.find("MESSAGE Die Modelldatei „" + run_->missing_model() +
                     "“ existiert nicht."), std::string::npos) << log;
}

// GIMP ends a plug-in on a cancel in the status bar; the plug-in ending
// half-way (COLORIZE_TEST_EXIT_AT) stands in for that.
TEST_F(Gimp3Plugin, PluginEndedHalfWayLeavesTheImageAsItWas) {
  int status = 0;
  const std::string log =
    run_->run("profile", "killed", "C.UTF-8", "", &status, "", "0.5");
  EXPECT_NE(log.find("CASE killed ok\n"), std::string::npos) << log;
}

// Share of the pixels of a BGR image whose channels differ by more than
// 2 (R == G == B everywhere = 0).
double coloured_fraction(const cv::Mat &bgr) {
  int coloured = 0;
  for (int y = 0; y < bgr.rows; ++y)
    for (int x = 0; x < bgr.cols; ++x) {
      const cv::Vec3b &p = bgr.at<cv::Vec3b>(y, x);
      const int hi = std::max({p[0], p[1], p[2]});
      const int lo = std::min({p[0], p[1], p[2]});
      coloured += hi - lo > 2;
    }
  return double(coloured) / std::max(1, bgr.rows * bgr.cols);
}

// The README's "Batch use (GIMP 3.0, Python-Fu)": the snippet file, then
// the call, piped into python-fu-eval; no model file, so the default model
// must be found beside the plug-in (colorize_set_plugin_dir).
TEST_F(Gimp3Plugin, BatchSnippetColorizesAFolderWithTheDefaultModel) {
  cv::Mat photo = cv::imread(data_path("chelsea.png"), cv::IMREAD_COLOR);
  ASSERT_FALSE(photo.empty());
  cv::Mat small, gray, gray3, smaller;
  cv::resize(photo, small, cv::Size(150, 100), 0, 0, cv::INTER_AREA);
  cv::cvtColor(small, gray, cv::COLOR_BGR2GRAY);
  cv::cvtColor(gray, gray3, cv::COLOR_GRAY2BGR);
  cv::resize(gray, smaller, cv::Size(90, 70), 0, 0, cv::INTER_AREA);
  const std::string in = run_->file("batch-in"), out = run_->file("batch-out");
  g_mkdir_with_parents(in.c_str(), 0700);
  ASSERT_TRUE(cv::imwrite(in + "/a.png", gray3));    // gray pixels, RGB
  ASSERT_TRUE(cv::imwrite(in + "/b.jpg", smaller));  // gray-mode JPEG
  spit(in + "/notes.txt", "not an image\n");
  ASSERT_EQ(coloured_fraction(gray3), 0.0);

  const std::string script =
    "cat " + env("COLORIZE_PLUGIN_CASES") + "/colorize-folder-gimp3.py\n"
    "  echo \"colorize_folder('" + in + "', '" + out + "')\"";
  int status = 0;
  const std::string log =
    run_->run("profile", "", "C.UTF-8", "", &status, script);
  EXPECT_EQ(status, 0) << log;
  const std::pair<const char *, cv::Size> outputs[] = {
    {"a.png", gray3.size()}, {"b.jpg", smaller.size()}};
  for (const auto &[name, size] : outputs) {
    // IMREAD_COLOR: a gray file comes back with R == G == B
    cv::Mat result = cv::imread(out + "/" + name, cv::IMREAD_COLOR);
    ASSERT_FALSE(result.empty()) << name << " was not written:\n" << log;
    EXPECT_EQ(result.size(), size) << name;
    EXPECT_GT(coloured_fraction(result), 0.5) << name << " is not coloured";
  }
  EXPECT_FALSE(g_file_test((out + "/notes.txt").c_str(), G_FILE_TEST_EXISTS));
}

// plugin/README.md shows the batch snippet the test above runs: the same
// text (no GIMP needed).
TEST(Gimp3Readme, ShowsTheTestedBatchSnippet) {
  const std::string cases = env("COLORIZE_PLUGIN_CASES");
  gchar *readme = nullptr, *snippet = nullptr;
  ASSERT_TRUE(g_file_get_contents((cases + "/../../plugin/README.md").c_str(),
                                  &readme, nullptr, nullptr));
  ASSERT_TRUE(g_file_get_contents(
    (cases + "/colorize-folder-gimp3.py").c_str(), &snippet, nullptr,
    nullptr));
  const std::string text = readme, code = snippet;
  g_free(readme);
  g_free(snippet);
  EXPECT_NE(text.find("```python\n" + code + "```\n"), std::string::npos)
    << "plugin/README.md does not show tests/plugin/colorize-folder-gimp3.py";
  EXPECT_NE(text.find("cat tests/plugin/colorize-folder-gimp3.py\n"),
            std::string::npos);
}

}  // namespace
