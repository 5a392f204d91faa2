// See cli_support.h.
#include "cli_support.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <glib.h>
#include <sys/wait.h>
// libjpeg after <cstdio> (it needs FILE).
#include <cstdio>
#include <jpeglib.h>

#include "colorize/color.h"

namespace colorize::testing {

/// Runs the program with `args`; `env` (name, value) pairs are set in its
/// environment on top of this process's.
CliRun run_cli(const std::vector<std::string> &args,
               const std::vector<std::pair<std::string, std::string>> &env) {
  const char *cli = std::getenv("COLORIZE_CLI");
  CliRun r;
  if (!cli) {
    ADD_FAILURE() << "COLORIZE_CLI is not set";
    return r;
  }
  std::vector<char *> argv{const_cast<char *>(cli)};
  for (const auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  gchar **envp = g_get_environ();
  for (const auto &[name, value] : env)
    envp = g_environ_setenv(envp, name.c_str(), value.c_str(), TRUE);
  gchar *out = nullptr, *err = nullptr;
  gint wait_status = 0;
  GError *error = nullptr;
  const bool spawned = g_spawn_sync(nullptr, argv.data(), envp, G_SPAWN_DEFAULT,
                                    nullptr, nullptr, &out, &err, &wait_status,
                                    &error);
  g_strfreev(envp);
  if (!spawned) {
    ADD_FAILURE() << "cannot run " << cli << ": " << error->message;
    g_error_free(error);
    return r;
  }
  r.out = out ? out : "";
  r.err = err ? err : "";
  g_free(out);
  g_free(err);
  if (WIFEXITED(wait_status)) r.status = WEXITSTATUS(wait_status);
  return r;
}

std::string read_bytes(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

bool exists(const std::string &path) {
  return g_file_test(path.c_str(), G_FILE_TEST_EXISTS);
}

/// Names in `dir` starting with '.', i.e. leftover temporary files.
std::vector<std::string> hidden_files(const std::string &dir) {
  std::vector<std::string> names;
  GDir *d = g_dir_open(dir.c_str(), 0, nullptr);
  while (const char *n = d ? g_dir_read_name(d) : nullptr)
    if (n[0] == '.') names.push_back(n);
  if (d) g_dir_close(d);
  return names;
}

/// Mean absolute difference of the L channels of two BGR(A)/gray images.
double l_difference(const cv::Mat &a, const cv::Mat &b) {
  const cv::Mat la = luminance(a, ChannelOrder::Bgr);
  const cv::Mat lb = luminance(b, ChannelOrder::Bgr);
  return cv::norm(la, lb, cv::NORM_L1) / double(la.total());
}

/// Writes `pixels` (8-bit, 3 = RGB or 4 = CMYK channels) as a JPEG with
/// libjpeg directly, adding an APP1 marker with `app1` when not empty.
/// (OpenCV can write neither CMYK nor extra markers.)
void write_jpeg(const std::string &path, const cv::Mat &pixels,
                const std::string &app1) {
  std::FILE *f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);  // exits on error: fine in a test helper
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, f);
  c.image_width = JDIMENSION(pixels.cols);
  c.image_height = JDIMENSION(pixels.rows);
  c.input_components = pixels.channels();
  c.in_color_space = pixels.channels() == 4 ? JCS_CMYK : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_start_compress(&c, TRUE);
  if (!app1.empty())
    jpeg_write_marker(&c, JPEG_APP0 + 1,
                      reinterpret_cast<const JOCTET *>(app1.data()),
                      unsigned(app1.size()));
  for (int y = 0; y < pixels.rows; ++y) {
    JSAMPROW row = const_cast<JSAMPLE *>(pixels.ptr<JSAMPLE>(y));
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::fclose(f);
}

TempDir *CliTest::model_dir_ = nullptr;
std::string CliTest::model_;

void CliTest::SetUpTestSuite() {
  model_dir_ = new TempDir();
  nets::UNetConfig config;
  config.depth = 4;
  config.width = 8;
  model_ = write_model(model_dir_->file("tiny.pt"), config, info_for(config));
}

void CliTest::TearDownTestSuite() {
  delete model_dir_;
  model_dir_ = nullptr;
}

CliRun CliTest::colorize(std::vector<std::string> args) {
  args.insert(args.begin(), {"--model", model_});
  return run_cli(args);
}

}  // namespace colorize::testing
