// See gimp_run.h.
#include "plugin/gimp_run.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "colorize/color.h"

namespace colorize::testing {
namespace {

constexpr int kGimpTimeoutSeconds = 300;
const cv::Size kImageSize(160, 120);

std::string env(const char *name) {
  const char *value = g_getenv(name);
  EXPECT_NE(value, nullptr) << name << " is not set (run through meson test)";
  return value ? value : "";
}

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void spit(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// A Scheme string literal.
std::string quoted(const std::string &s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      q += '\\';
    q += c;
  }
  return q + "\"";
}

// Test images derived from a fixture: gray content in an RGB image, the
// same as a gray-mode image, with an alpha ramp, and at 16 bits.
void write_inputs(const TempDir &dir) {
  cv::Mat photo = cv::imread(data_path("chelsea.png"), cv::IMREAD_COLOR);
  ASSERT_FALSE(photo.empty());
  cv::Mat small, gray, gray3;
  cv::resize(photo, small, kImageSize, 0, 0, cv::INTER_AREA);
  cv::cvtColor(small, gray, cv::COLOR_BGR2GRAY);
  cv::cvtColor(gray, gray3, cv::COLOR_GRAY2BGR);
  // with a gAMA chunk, which GIMP 3.0 turns into a gray gamma 2.2 profile
  ASSERT_TRUE(write_gamma_png(dir.file("in/graymode.png"), gray));
  ASSERT_TRUE(cv::imwrite(dir.file("in/gray.png"), gray3));
  ASSERT_TRUE(cv::imwrite(dir.file("in/batch/a.png"), gray3));
  ASSERT_TRUE(cv::imwrite(dir.file("in/batch/b.jpg"), gray));

  cv::Mat bgra;
  cv::cvtColor(gray3, bgra, cv::COLOR_BGR2BGRA);
  for (int y = 0; y < bgra.rows; ++y)
    for (int x = 0; x < bgra.cols; ++x)
      bgra.at<cv::Vec4b>(y, x)[3] =
        cv::saturate_cast<uchar>(255.0 * x / (bgra.cols - 1));
  ASSERT_TRUE(cv::imwrite(dir.file("in/alpha.png"), bgra));

  cv::Mat f, fsmall, fgray, g16, g16x3;
  photo.convertTo(f, CV_32F, 1.0 / 255);
  cv::resize(f, fsmall, kImageSize, 0, 0, cv::INTER_AREA);
  cv::cvtColor(fsmall, fgray, cv::COLOR_BGR2GRAY);
  fgray.convertTo(g16, CV_16U, 65535.0);
  cv::cvtColor(g16, g16x3, cv::COLOR_GRAY2BGR);
  ASSERT_TRUE(cv::imwrite(dir.file("in/rgb16.png"), g16x3));
}

}  // namespace

GimpRun::GimpRun() {
  gchar *gimp = g_find_program_in_path("gimp-console-2.10");
  if (!gimp)
    return;
  gimp_ = gimp;
  g_free(gimp);

  for (const char *sub : {"in/batch", "out/batch", "plug-ins",
                          "plug-ins/gimp-colorize-pix2pix"})
    g_mkdir_with_parents(dir_.file(sub).c_str(), 0700);
  const std::string plugin_dir = dir_.file("plug-ins/gimp-colorize-pix2pix");
  // symlinks: the binary finds libcolorize-core through its build rpath
  EXPECT_EQ(symlink(env("COLORIZE_PLUGIN").c_str(),
                    (plugin_dir + "/gimp-colorize-pix2pix").c_str()), 0);
  EXPECT_EQ(symlink(env("COLORIZE_PLUGIN_LOCALE").c_str(),
                    (plugin_dir + "/locale").c_str()), 0);

  write_inputs(dir_);
  write_color_model(model());
  // the default model ("" as model file) found beside the plug-in
  g_mkdir_with_parents((plugin_dir + "/models").c_str(), 0700);
  EXPECT_EQ(symlink(model().c_str(),
                    (plugin_dir + "/models/colorize-default.pt").c_str()), 0);
  spit(garbage_model(), "this is not a TorchScript archive\n");
  write_failing_model(failing_model());
  write_hint_model(hint_model());
}

std::string GimpRun::in(const std::string &name) const {
  return dir_.file("in/" + name);
}

std::string GimpRun::out(const std::string &name) const {
  return dir_.file("out/" + name);
}

std::string GimpRun::script(const std::string &body) const {
  std::string cases = env("COLORIZE_PLUGIN_CASES");
  return "(define model " + quoted(model()) + ")\n"
         "(define missing-model " + quoted(missing_model()) + ")\n"
         "(define garbage-model " + quoted(garbage_model()) + ")\n"
         "(define failing-model " + quoted(failing_model()) + ")\n"
         "(define hint-model " + quoted(hint_model()) + ")\n"
         "(define indir " + quoted(dir_.file("in")) + ")\n"
         "(define outdir " + quoted(dir_.file("out")) + ")\n" +
         slurp(cases + "/lib.scm") + slurp(cases + "/colorize-folder.scm") +
         body;
}

std::string GimpRun::run(const std::string &script, const std::string &profile,
                         const std::string &lang, const std::string &locpath,
                         const std::string &wrapper, int *exit_status) {
  // keep GIMP's own plug-ins (Script-Fu, file-png) in the path
  const std::string rc = dir_.file(profile + ".gimprc");
  spit(rc, "(plug-in-path \"" + dir_.file(profile) + "/plug-ins:" +
           env("COLORIZE_GIMP_PLUGIN_DIR") + ":" + dir_.file("plug-ins") +
           "\")\n");

  const std::string timeout = std::to_string(kGimpTimeoutSeconds);
  const std::string rc_arg = "--gimprc=" + rc;
  std::vector<const char *> argv = {
    "timeout", timeout.c_str(), gimp_.c_str(), "-i", "-d", "-f",
    rc_arg.c_str(), "-b", script.c_str(), "-b", "(gimp-quit 0)", nullptr};
  if (!wrapper.empty())
    argv.insert(argv.begin(), wrapper.c_str());

  gchar **envp = g_get_environ();
  envp = g_environ_setenv(envp, "GIMP2_DIRECTORY",
                          dir_.file(profile).c_str(), TRUE);
  envp = g_environ_setenv(envp, "LANG", lang.c_str(), TRUE);
  envp = g_environ_unsetenv(envp, "LC_ALL");
  envp = g_environ_unsetenv(envp, "LC_MESSAGES");
  envp = g_environ_unsetenv(envp, "LANGUAGE");
  if (!locpath.empty())
    envp = g_environ_setenv(envp, "LOCPATH", locpath.c_str(), TRUE);

  gchar *out = nullptr, *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  gboolean spawned = g_spawn_sync(
    dir_.path().c_str(), const_cast<gchar **>(argv.data()), envp,
    G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, &err, &status, &error);
  g_strfreev(envp);
  EXPECT_TRUE(spawned) << (error ? error->message : "");
  if (error)
    g_error_free(error);
  std::string log = std::string(out ? out : "") + (err ? err : "");
  g_free(out);
  g_free(err);
  if (exit_status) {
    *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return log;
  }
  EXPECT_TRUE(g_spawn_check_wait_status(status, nullptr))
    << "GIMP timed out or crashed:\n" << log;
  return log;
}

std::string GimpRun::run_interactive(std::string *why) {
  const std::string wrapper =
    env("COLORIZE_PLUGIN_CASES") + "/interactive.sh";
  int status = 0;
  std::string log = run(
    script("(let* ((img (open-image \"gray.png\")) (d (active img)))\n"
           "  (plug-in-colorize-pix2pix RUN-INTERACTIVE img d \"\" 0 0 1.0 0)\n"
           "  (save img d \"interactive.png\"))\n"
           "(let* ((img (open-image \"gray.png\")) (d (active img)))\n"
           "  (plug-in-colorize-pix2pix RUN-WITH-LAST-VALS img d \"\" 0 0 0 1)\n"
           "  (save img d \"interactive-repeat.png\"))\n"),
    "profile-ui", "C.UTF-8", "", wrapper, &status);
  if (status == 77) {
    *why = "Xvfb or xdotool is not installed: interactive dialog test "
           "skipped";
    return "";
  }
  EXPECT_EQ(status, 0) << "GIMP timed out or crashed:\n" << log;
  return log;
}

std::string GimpRun::run_cases() {
  std::string log = run(script(slurp(env("COLORIZE_PLUGIN_CASES") +
                                     "/cases.scm")),
                        "profile", "C.UTF-8", "");
  // for debugging: COLORIZE_KEEP_GIMP_TEST=DIR keeps a copy of the folder
  if (const char *keep = g_getenv("COLORIZE_KEEP_GIMP_TEST")) {
    std::string cmd = "cp -r '" + dir_.path() + "' '" + keep + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  return log;
}

std::string GimpRun::run_german(std::string *why) {
  const std::string locpath = dir_.file("locales");
  g_mkdir_with_parents(locpath.c_str(), 0700);
  const std::string target = locpath + "/de_DE.UTF-8";
  const char *argv[] = {"localedef", "-i", "de_DE", "-f", "UTF-8",
                        target.c_str(), nullptr};
  gint status = 0;
  gchar *err = nullptr;
  if (!g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr,
                    GSpawnFlags(G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL),
                    nullptr, nullptr, nullptr, &err, &status, nullptr) ||
      !g_file_test(target.c_str(), G_FILE_TEST_IS_DIR)) {
    *why = "cannot make a de_DE.UTF-8 locale with localedef (" +
           std::string(err ? err : "not found") + "): German test skipped";
    g_free(err);
    return "";
  }
  g_free(err);
  return run(script("(let* ((img (open-image \"gray.png\")))\n"
                    "  (run-case \"missing-model\" (lambda () (colorize img "
                    "(active img) missing-model 0))))\n"),
             "profile-de", "de_DE.UTF-8", locpath);
}

// A Lab model whose colours are a plain function of L, strong enough to
// see (an untrained network predicts nearly gray): a = 110 (0.3 x + 0.1),
// b = 110 (0.2 - 0.25 x), x = L / 50 - 1.
void write_color_model(const std::string &path) {
  torch::jit::Module module("LinearColor");
  module.register_attribute("training", c10::BoolType::get(), false);
  module.define(R"(
def forward(self, x):
    return torch.cat([x * 0.3 + 0.1, 0.2 - x * 0.25], 1)
)");
  ModelInfo info;
  info.input_size = 64;
  info.size_multiple = 8;
  info.name = "linear-color (test)";
  save_module(path, module, serialize_model_info(info).c_str());
}

void write_hint_model(const std::string &path) {
  ModelInfo info;
  info.format_version = kHintFormatVersion;
  info.hints = true;
  info.input_size = 64;
  info.size_multiple = 8;
  info.name = "hint echo (test)";
  save_module(path, scripted_module("x[:, 1:3]"), serialize_model_info(info).c_str());
}

void write_failing_model(const std::string &path) {
  ModelInfo info;
  info.input_size = 64;
  info.size_multiple = 8;
  info.name = "failing (test)";
  // 0 / 0 = NaN once the input is more than 8 rows high
  save_module(path,
              scripted_module("torch.cat([x, x], 1) * 0.0 / "
                              "max(0, 9 - x.size(2))"),
              serialize_model_info(info).c_str());
}

namespace {

uint32_t crc32(const unsigned char *data, size_t size) {
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k)
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xffffffffu;
}

void put_u32(std::vector<unsigned char> &out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<unsigned char>(v >> shift));
}

}  // namespace

bool write_gamma_png(const std::string &path, const cv::Mat &image) {
  std::vector<unsigned char> png;
  if (!cv::imencode(".png", image, png))
    return false;
  // gAMA (45455 = 1/2.2 x 100000) right after the signature and IHDR
  std::vector<unsigned char> chunk;
  put_u32(chunk, 4);
  for (char c : std::string("gAMA"))
    chunk.push_back(static_cast<unsigned char>(c));
  put_u32(chunk, 45455);
  put_u32(chunk, crc32(chunk.data() + 4, 8));
  png.insert(png.begin() + 8 + 25, chunk.begin(), chunk.end());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(png.data()),
            static_cast<std::streamsize>(png.size()));
  return out.good();
}

void write_gray_pngs(const std::string &gray, const std::string &rgb) {
  cv::Mat photo = cv::imread(data_path("chelsea.png"), cv::IMREAD_COLOR);
  ASSERT_FALSE(photo.empty());
  cv::Mat gray1, gray3;
  cv::cvtColor(photo, gray1, cv::COLOR_BGR2GRAY);
  cv::cvtColor(gray1, gray3, cv::COLOR_GRAY2BGR);
  ASSERT_TRUE(write_gamma_png(gray, gray1));
  ASSERT_TRUE(write_gamma_png(rgb, gray3));
}

std::pair<double, double> l_difference(const cv::Mat &a, const cv::Mat &b,
                                       const cv::Mat &where) {
  std::vector<cv::Mat> la, lb;
  cv::split(lab_of(a), la);
  cv::split(lab_of(b), lb);
  cv::Mat d = cv::abs(la[0] - lb[0]);
  double max = 0;
  cv::minMaxLoc(d, nullptr, &max, nullptr, nullptr, where);
  return {cv::mean(d, where)[0], max};
}

cv::Mat lab_of(const cv::Mat &image) {
  cv::Mat bgr = image;
  if (image.channels() == 1)
    cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR);
  else if (image.channels() == 4)
    cv::cvtColor(image, bgr, cv::COLOR_BGRA2BGR);
  cv::Mat f;
  bgr.convertTo(f, CV_32F, image.depth() == CV_16U ? 1.0 / 65535 : 1.0 / 255);
  return rgb_to_lab(f, ChannelOrder::Bgr);
}

}  // namespace colorize::testing
