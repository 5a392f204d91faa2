// The `colorize` program's files on hostile ground: a full disk, inputs and
// models it may not read, long names, symbolic links, temporary files left
// by a killed run, SIGINT during a long model pass. Runs the built binary.
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>
#include <utime.h>

#include "cli_support.h"
#include "colorize/metadata.h"
#include "interrupt.h"
#include "output_file.h"

namespace {

using colorize::testing::CliProcess;
using colorize::testing::CliRun;
using colorize::testing::CliTest;
using colorize::testing::data_path;
using colorize::testing::exists;
using colorize::testing::hidden_files;
using colorize::testing::read_bytes;
using colorize::testing::run_cli;
using colorize::testing::run_program;
using colorize::testing::write_bytes;

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

/// A model whose pass takes many minutes on a real picture (one CPU
/// thread), but none on the 8x8 zeros of the load-time check.
std::string slow_model(const std::string &path) {
  torch::jit::Module m("__torch__.SlowModel");
  m.register_attribute("training", c10::BoolType::get(), false);
  m.define(R"(def forward(self, x):
    t = torch.ones([256, 256])
    for i in range(min(x.size(3) - 8, 1) * 1000000):
        t = torch.mm(t, t) * 0.00390625
    return torch.cat([x, x], 1) * t[0, 0].item()
)");
  const std::string json = colorize::serialize_model_info(
      colorize::testing::info_for(colorize::testing::tiny_unet(2)));
  return colorize::testing::save_module(path, m, json.c_str());
}

/// Waits until process `pid` has a file whose name holds `name` mapped;
/// false when it does not within `seconds`.
bool wait_for_mapping(GPid pid, const std::string &name, double seconds) {
  const gint64 end = g_get_monotonic_time() + gint64(seconds * 1e6);
  const std::string maps = "/proc/" + std::to_string(pid) + "/maps";
  do {
    gchar *text = nullptr;
    if (g_file_get_contents(maps.c_str(), &text, nullptr, nullptr)) {
      const bool found = std::string(text).find(name) != std::string::npos;
      g_free(text);
      if (found) return true;
    }
    g_usleep(20000);
  } while (g_get_monotonic_time() < end);
  return false;
}

/// Sets the file's modification time `seconds` back.
void age(const std::string &path, int seconds) {
  utimbuf times;
  times.actime = times.modtime = time(nullptr) - seconds;
  ASSERT_EQ(g_utime(path.c_str(), &times), 0) << path;
}

bool has_o_tmpfile(const std::string &dir) {
  const int fd = open(dir.c_str(), O_TMPFILE | O_WRONLY, 0600);
  if (fd >= 0) close(fd);
  return fd >= 0;
}

/// unshare's --propagation for a mount namespace whose mounts stay in it:
/// "private" makes every mount private; where none is shared anyway it is
/// not needed, and in a chroot, whose / is no mount point, it would fail.
std::string private_propagation() {
  return contains(read_bytes("/proc/self/mountinfo"), " shared:") ? "private"
                                                                  : "unchanged";
}

/// Child setup: files of at most 16 KiB; writing more fails with EFBIG
/// instead of raising SIGXFSZ.
void limit_file_size(gpointer) {
  const rlimit limit{16384, 16384};
  setrlimit(RLIMIT_FSIZE, &limit);
  signal(SIGXFSZ, SIG_IGN);
}

/// Child setup: run as the unprivileged user 65534 (for a test run as root,
/// whom permission bits do not stop).
void become_nobody(gpointer) {
  if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
    _exit(125);
}

class CliFilesTest : public CliTest {
 protected:
  /// The program started on a real picture with the slow model, once it
  /// has begun the file (and so its model pass).
  std::unique_ptr<CliProcess> start_slow(const std::string &output,
                                         const colorize::testing::Environment &env = {}) {
    const std::string model = slow_model(dir_.file("slow.pt"));
    auto p = std::make_unique<CliProcess>(
        std::vector<std::string>{"--model", model, "--threads", "1", "--output",
                                 output, data_path("coffee.png")},
        env);
    EXPECT_TRUE(p->wait_for("[1/1]", 60));
    // The network loads while the picture is read: wait for LibTorch, then
    // past loading the model, into the model pass.
    EXPECT_TRUE(wait_for_mapping(p->pid(), "libcolorize-torch.so", 60));
    g_usleep(1500000);
    return p;
  }
};

TEST_F(CliFilesTest, FullDiskSaysSoAndLeavesNothing) {
  // A 16 KiB tmpfs, mounted in a mount namespace of its own: the script
  // runs the program there, then lists what is left in it.
  const std::string full = dir_.file("full");
  ASSERT_EQ(g_mkdir(full.c_str(), 0755), 0);
  const std::string mount =
      "mount -t tmpfs -o size=16k colorize-test \"$1\" || exit 125\n";
  gchar *unshare = g_find_program_in_path("unshare");
  const bool has_unshare = unshare != nullptr;
  g_free(unshare);
  if (!has_unshare) GTEST_SKIP() << "no unshare program to mount a small tmpfs";
  const std::string propagation = private_propagation();
  const CliRun probe = run_program(
      {"unshare", "-m", "--propagation", propagation, "sh", "-c", mount, "sh", full});
  if (probe.status != 0)
    GTEST_SKIP() << "cannot mount a tmpfs in a mount namespace here (needs "
                    "root): " << probe.err;
  const std::string script =
      mount + "dir=$1; shift\n\"$@\"; status=$?\nls -A \"$dir\"\nexit $status\n";
  for (const auto &[input, name] : std::vector<std::pair<std::string, std::string>>{
           {data_path("coffee.png"), "out.png"}, {data_path("china.jpg"), "out.jpg"}}) {
    const std::string out = full + "/" + name;
    const CliRun r = run_program({"unshare", "-m", "--propagation", propagation,
                                  "sh", "-c", script, "sh", full,
                                  colorize::testing::cli_path(), "--model", model_,
                                  "--output", out, input});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_TRUE(contains(r.err, input + ": cannot write " + out +
                                    ": No space left on device"))
        << r.err;
    EXPECT_EQ(r.out, "") << "left on the full disk";
  }
}

TEST_F(CliFilesTest, FailedWriteSaysWhyAndLeavesNothing) {
  for (const auto &[input, name] : std::vector<std::pair<std::string, std::string>>{
           {data_path("coffee.png"), "out.png"}, {data_path("china.jpg"), "out.jpg"}}) {
    const std::string out = dir_.file(name);
    const CliRun r = run_cli({"--model", model_, "--output", out, input}, {},
                             limit_file_size, nullptr);
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_TRUE(contains(r.err, input + ": cannot write " + out + ": File too large"))
        << r.err;
    EXPECT_FALSE(exists(out));
  }
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
}

/// Runs the program as a user whom permission bits stop: this one, or user
/// 65534 when this one is root. Skips the test when that user cannot run it.
class CliUnprivilegedTest : public CliFilesTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(g_chmod(dir_.path().c_str(), 0755), 0);
    model_copy_ = dir_.file("model.pt");
    write_bytes(model_copy_, read_bytes(model_));
    ASSERT_EQ(g_chmod(model_copy_.c_str(), 0644), 0);
    if (!runs_unprivileged())
      GTEST_SKIP() << "the program cannot run as user 65534 here (is its "
                      "build folder readable by all?)";
  }
  /// Whether `colorize --help` runs as that user (a probe: no test failure
  /// when it cannot be started at all).
  static bool runs_unprivileged() {
    if (geteuid() != 0) return true;
    const std::string cli = colorize::testing::cli_path();
    gchar *argv[] = {const_cast<gchar *>(cli.c_str()), const_cast<gchar *>("--help"), nullptr};
    gint status = 0;
    const auto quiet = GSpawnFlags(G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL);
    return g_spawn_sync(nullptr, argv, nullptr, quiet, become_nobody, nullptr, nullptr, nullptr, &status,
                        nullptr) &&
           WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  CliRun run(const std::vector<std::string> &args) {
    return run_cli(args, {}, geteuid() == 0 ? become_nobody : nullptr, nullptr);
  }
  std::string model_copy_;
};

TEST_F(CliUnprivilegedTest, UnreadableInputSaysPermissionDenied) {
  const std::string input = dir_.file("secret.png");
  write_bytes(input, read_bytes(data_path("coffee.png")));
  ASSERT_EQ(g_chmod(input.c_str(), 0), 0);
  const CliRun r = run({"--model", model_copy_, input});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(contains(r.err, input + ": cannot read it: Permission denied")) << r.err;
  EXPECT_FALSE(contains(r.err, "not an image")) << r.err;
}

TEST_F(CliUnprivilegedTest, UnreadableModelSaysPermissionDenied) {
  ASSERT_EQ(g_chmod(model_copy_.c_str(), 0), 0);
  const CliRun r = run({"--model", model_copy_, data_path("coffee.png")});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "cannot load the model")) << r.err;
  EXPECT_TRUE(contains(r.err, model_copy_)) << r.err;
  EXPECT_TRUE(contains(r.err, "Permission denied")) << r.err;
}

TEST_F(CliFilesTest, LongOutputNamesAreWritten) {
  const std::string name = std::string(246, 'n') + ".png";  // 250 characters
  CliRun r = colorize({"--output", dir_.file(name), data_path("coffee.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(cv::imread(dir_.file(name)).size(), cv::Size(600, 400));
  // The default output name of a long input name: 236 + "-colorized.png".
  const std::string stem(236, 'i');
  write_bytes(dir_.file(stem + ".png"), read_bytes(data_path("coffee.png")));
  r = colorize({dir_.file(stem + ".png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(exists(dir_.file(stem + "-colorized.png")));
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
}

TEST_F(CliFilesTest, SymlinksAreWrittenThrough) {
  const std::string photos = dir_.file("photos");
  ASSERT_EQ(g_mkdir(photos.c_str(), 0755), 0);
  const std::string original = read_bytes(data_path("coffee.png"));
  write_bytes(photos + "/real.png", original);
  ASSERT_EQ(symlink("photos/real.png", dir_.file("link.png").c_str()), 0);
  CliRun r = colorize({"--in-place", dir_.file("link.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  gchar *target = g_file_read_link(dir_.file("link.png").c_str(), nullptr);
  EXPECT_STREQ(target, "photos/real.png");
  g_free(target);
  EXPECT_NE(read_bytes(photos + "/real.png"), original);
  EXPECT_EQ(cv::imread(photos + "/real.png").size(), cv::Size(600, 400));

  // --output naming an existing link: its target gets the result.
  write_bytes(photos + "/old.png", original);
  ASSERT_EQ(symlink("photos/old.png", dir_.file("out.png").c_str()), 0);
  r = colorize({"--output", dir_.file("out.png"), data_path("chelsea.png")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(g_file_test(dir_.file("out.png").c_str(), G_FILE_TEST_IS_SYMLINK));
  EXPECT_EQ(cv::imread(photos + "/old.png").size(), cv::Size(451, 300));
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
  EXPECT_TRUE(hidden_files(photos).empty());
}

TEST_F(CliFilesTest, StaleTemporariesAreRemovedLiveOnesKept) {
  const int stale_s = colorize::cli::kStaleTempMinutes * 60 + 60;
  const std::string prefix = colorize::cli::kTempPrefix;
  const std::string stale = dir_.file(prefix + "Ab12Cd"),
                    fresh = dir_.file(prefix + "Ef34Gh"),
                    held = dir_.file(prefix + "Ij56Kl"),
                    other = dir_.file(prefix + "x.png"), keep = dir_.file(".keep");
  for (const auto *path : {&stale, &fresh, &held, &other, &keep}) {
    write_bytes(*path, "partial");
    if (path != &fresh) age(*path, stale_s);
  }
  // A live writer holds its temporary file's lock.
  const int fd = g_open(held.c_str(), O_RDONLY, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX), 0);
  const CliRun r = colorize({"--output", dir_.file("out.png"), data_path("coffee.png")});
  close(fd);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(exists(stale));
  for (const auto *path : {&fresh, &held, &other, &keep}) EXPECT_TRUE(exists(*path)) << *path;
}

TEST_F(CliFilesTest, KilledRunLeavesNoTemporaryFile) {
  if (!has_o_tmpfile(dir_.path()))
    GTEST_SKIP() << "the file system of " << dir_.path() << " has no O_TMPFILE";
  auto p = start_slow(dir_.file("out.png"));
  p->signal(SIGKILL);
  EXPECT_EQ(p->finish(30).status, -1);
  EXPECT_FALSE(exists(dir_.file("out.png")));
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
}

TEST_F(CliFilesTest, WithoutOTmpfileAKilledRunsLeftoverIsRemovedLater) {
  const char *no_tmpfile = std::getenv("COLORIZE_TEST_NO_TMPFILE");
  ASSERT_NE(no_tmpfile, nullptr);
  const colorize::testing::Environment env{{"LD_PRELOAD", no_tmpfile}};
  auto p = start_slow(dir_.file("out.png"), env);
  const std::vector<std::string> during = hidden_files(dir_.path());
  ASSERT_EQ(during.size(), 1u);
  EXPECT_TRUE(colorize::cli::is_temp_name(during[0])) << during[0];
  p->signal(SIGKILL);
  EXPECT_EQ(p->finish(30).status, -1);
  ASSERT_EQ(hidden_files(dir_.path()), during);
  // Not removed while it might be a live run's, then removed.
  CliRun r = run_cli({"--model", model_, "--output", dir_.file("a.png"),
                      data_path("coffee.png")}, env);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(hidden_files(dir_.path()), during);
  age(dir_.file(during[0]), colorize::cli::kStaleTempMinutes * 60 + 60);
  r = run_cli({"--model", model_, "--output", dir_.file("b.png"),
               data_path("coffee.png")}, env);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(exists(dir_.file("b.png")));
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
}

TEST_F(CliFilesTest, InterruptDuringModelPassEndsPromptly) {
  auto p = start_slow(dir_.file("out.png"));
  const gint64 start = g_get_monotonic_time();
  p->signal(SIGINT);
  const CliRun r = p->finish(30);
  const double seconds = (g_get_monotonic_time() - start) / 1e6;
  EXPECT_EQ(r.status, 130) << r.err;
  EXPECT_LT(seconds, colorize::cli::kGraceSeconds + 5.0);
  EXPECT_TRUE(contains(r.err, "colorize: interrupted; the file in progress is not written"))
      << r.err;
  EXPECT_FALSE(exists(dir_.file("out.png")));
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
}

TEST_F(CliFilesTest, InterruptDuringBarLeavesACleanLine) {
  const std::string model = slow_model(dir_.file("slow.pt"));
  CliProcess p({"--model", model, "--threads", "1", "--progress=bar",
                "--output", dir_.file("out.png"), data_path("coffee.png")});
  ASSERT_TRUE(p.wait_for("| model pass |", 60));
  p.signal(SIGINT);
  const CliRun r = p.finish(30);
  EXPECT_EQ(r.status, 130) << r.err;
  // The bar cleared, then the last words on a line of their own.
  const std::string last =
      "colorize: interrupted; the file in progress is not written\n";
  const std::string cleared = "\r\033[K" + last;
  ASSERT_GE(r.err.size(), cleared.size()) << r.err;
  EXPECT_EQ(r.err.substr(r.err.size() - cleared.size()), cleared) << r.err;
  EXPECT_FALSE(exists(dir_.file("out.png")));
}

TEST_F(CliFilesTest, SecondInterruptEndsAtOnce) {
  auto p = start_slow(dir_.file("out.png"));
  p->signal(SIGINT);
  g_usleep(100000);
  const gint64 start = g_get_monotonic_time();
  p->signal(SIGINT);
  const CliRun r = p->finish(30);
  const double seconds = (g_get_monotonic_time() - start) / 1e6;
  EXPECT_EQ(r.status, 130) << r.err;
  // Sooner than the first signal's grace period would end it.
  EXPECT_LT(seconds, 0.8 * colorize::cli::kGraceSeconds);
  EXPECT_FALSE(exists(dir_.file("out.png")));
  EXPECT_TRUE(hidden_files(dir_.path()).empty());
}

}  // namespace
