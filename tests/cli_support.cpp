// See cli_support.h.
#include "cli_support.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
// libjpeg after <cstdio> (it needs FILE).
#include <cstdio>
#include <jpeglib.h>

#include "colorize/color.h"

namespace colorize::testing {

std::string cli_path() {
  const char *cli = std::getenv("COLORIZE_CLI");
  if (!cli) ADD_FAILURE() << "COLORIZE_CLI is not set";
  return cli ? cli : "";
}

CliRun run_program(const std::vector<std::string> &args, const Environment &env,
                   GSpawnChildSetupFunc setup, gpointer setup_data) {
  CliRun r;
  std::vector<char *> argv;
  for (const auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  gchar **envp = g_get_environ();
  for (const auto &[name, value] : env)
    envp = g_environ_setenv(envp, name.c_str(), value.c_str(), TRUE);
  gchar *out = nullptr, *err = nullptr;
  gint wait_status = 0;
  GError *error = nullptr;
  const bool spawned = g_spawn_sync(nullptr, argv.data(), envp, G_SPAWN_SEARCH_PATH,
                                    setup, setup_data, &out, &err, &wait_status,
                                    &error);
  g_strfreev(envp);
  if (!spawned) {
    ADD_FAILURE() << "cannot run " << args[0] << ": " << error->message;
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

CliRun run_cli(const std::vector<std::string> &args, const Environment &env,
               GSpawnChildSetupFunc setup, gpointer setup_data) {
  const std::string cli = cli_path();
  if (cli.empty()) return {};
  std::vector<std::string> argv{cli};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, env, setup, setup_data);
}

CliProcess::CliProcess(const std::vector<std::string> &args,
                       const Environment &env) {
  const std::string cli = cli_path();
  if (cli.empty()) return;
  std::vector<char *> argv{const_cast<char *>(cli.c_str())};
  for (const auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  gchar **envp = g_get_environ();
  for (const auto &[name, value] : env)
    envp = g_environ_setenv(envp, name.c_str(), value.c_str(), TRUE);
  GError *error = nullptr;
  running_ = g_spawn_async_with_pipes(
      nullptr, argv.data(), envp,
      GSpawnFlags(G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL),
      nullptr, nullptr, &pid_, nullptr, nullptr, &err_fd_, &error);
  g_strfreev(envp);
  if (!running_) {
    ADD_FAILURE() << "cannot run " << cli << ": " << error->message;
    g_error_free(error);
    return;
  }
  g_unix_set_fd_nonblocking(err_fd_, TRUE, nullptr);
}

CliProcess::~CliProcess() {
  if (running_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &wait_status_, 0);
  }
  if (err_fd_ >= 0) close(err_fd_);
}

void CliProcess::read_stderr() {
  char buf[4096];
  ssize_t n;
  while (err_fd_ >= 0 && (n = read(err_fd_, buf, sizeof buf)) > 0)
    err_.append(buf, size_t(n));
}

bool CliProcess::ended() {
  if (running_ && waitpid(pid_, &wait_status_, WNOHANG) == pid_) running_ = false;
  return !running_;
}

bool CliProcess::wait_for(const std::string &text, double seconds) {
  const gint64 end = g_get_monotonic_time() + gint64(seconds * 1e6);
  for (;;) {
    read_stderr();
    if (err_.find(text) != std::string::npos) return true;
    if (ended() || g_get_monotonic_time() > end) return false;
    g_usleep(10000);
  }
}

void CliProcess::signal(int sig) {
  if (running_) kill(pid_, sig);
}

CliRun CliProcess::finish(double seconds) {
  const gint64 end = g_get_monotonic_time() + gint64(seconds * 1e6);
  while (!ended() && g_get_monotonic_time() < end) {
    read_stderr();
    g_usleep(10000);
  }
  if (!ended()) {
    ADD_FAILURE() << "the program did not end within " << seconds << " s";
    kill(pid_, SIGKILL);
    waitpid(pid_, &wait_status_, 0);
    running_ = false;
  }
  read_stderr();
  CliRun r;
  r.err = err_;
  if (WIFEXITED(wait_status_)) r.status = WEXITSTATUS(wait_status_);
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
