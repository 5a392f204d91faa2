// colorize-train as two processes on 127.0.0.1 (data-parallel training):
// the same weights as one process with the same global batch (--accumulate 2:
// batch norm then sees the same examples together as on two processes), a
// killed rank that stops the other, resuming with the same or another world
// size, and bad launches.
#include <gtest/gtest.h>

#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "distributed.h"
#include "model_io.h"
#include "options.h"
#include "support.h"
#include "train.h"
#include "trainer_fixtures.h"

extern char **environ;

namespace fs = std::filesystem;
using colorize::testing::data_path;
using colorize::testing::free_port;
using colorize::testing::TempDir;
namespace ct = colorize::train;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kEpochs = 6;

/// colorize-train arguments of the runs below: tiny networks, a global
/// batch of 2 (two steps per epoch on the 4 training photos), the GAN phase
/// from epoch 3.
std::vector<std::string> train_args(const std::string &data, const std::string &out, int epochs) {
  return {"--data", data, "--out", out, "--size", "32", "--depth", "3", "--width", "8", "--disc-width", "8",
          "--disc-layers", "2", "--batch", "2", "--epochs", std::to_string(epochs), "--pretrain-epochs", "2",
          "--decay-epochs", "0", "--threads", "1", "--workers", "2", "--val-fraction", "0.34", "--samples-every",
          "0", "--num-samples", "2", "--seed", "7", "--device", "cpu", "--quiet"};
}

/// A colorize-train process with `env` added to the environment and its
/// stderr written to `err_file`.
pid_t spawn_trainer(const std::vector<std::string> &args, const std::map<std::string, std::string> &env,
                    const std::string &err_file) {
  std::vector<std::string> argv_s{std::getenv("COLORIZE_TRAIN")};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s;
  for (char **e = environ; *e; ++e) {
    const std::string kv = *e, key = kv.substr(0, kv.find('='));
    if (!env.count(key)) env_s.push_back(kv);
  }
  for (const auto &[k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char *> argv, envp;
  for (auto &a : argv_s) argv.push_back(a.data());
  for (auto &e : env_s) envp.push_back(e.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()), 0) << argv[0];
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

/// Exit status of `pid` (-1 if it did not end within `seconds`; it is then killed).
int wait_for(pid_t pid, double seconds) {
  const auto t0 = Clock::now();
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::duration<double>(Clock::now() - t0).count() > seconds) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    usleep(10000);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string read_text(const std::string &path) {
  std::ifstream f(path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

/// Largest difference between the parameters and buffers of two modules.
double max_difference(const torch::jit::Module &a, const torch::jit::Module &b) {
  std::vector<torch::Tensor> ta, tb;
  for (const auto &p : a.parameters()) ta.push_back(p);
  for (const auto &p : a.buffers()) ta.push_back(p);
  for (const auto &p : b.parameters()) tb.push_back(p);
  for (const auto &p : b.buffers()) tb.push_back(p);
  EXPECT_EQ(ta.size(), tb.size());
  double worst = 0;
  for (size_t i = 0; i < std::min(ta.size(), tb.size()); ++i)
    worst = std::max(worst, (ta[i].to(torch::kDouble) - tb[i].to(torch::kDouble)).abs().max().item<double>());
  return worst;
}

/// Generator and discriminator of epoch `epoch` in two runs agree to 1e-5.
void expect_same_weights(const std::string &run_a, const std::string &run_b, int epoch) {
  const std::string a = ct::checkpoint_dir(run_a, epoch), b = ct::checkpoint_dir(run_b, epoch);
  ASSERT_TRUE(fs::exists(a + "/state.json") && fs::exists(b + "/state.json")) << a << " / " << b;
  EXPECT_LE(max_difference(ct::load_generator(a), ct::load_generator(b)), 1e-5) << "generators of " << a << ", " << b;
  EXPECT_LE(max_difference(ct::load_module(a + "/discriminator.pt"), ct::load_module(b + "/discriminator.pt")), 1e-5)
      << "discriminators of " << a << ", " << b;
}

/// One process with the same global batch in 2 parts: the reference.
class TrainerDistributed : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = std::make_unique<TempDir>();
    reference_ = std::make_unique<TempDir>();
    for (const char *name : colorize::testing::kTrainPhotos) fs::copy_file(data_path(name), data_->file(name));
    ct::TrainOptions o = colorize::testing::tiny_options(data_->path(), reference_->path());
    o.batch = 2;
    o.epochs = kEpochs;
    o.pretrain_epochs = 2;
    o.accumulate = 2;
    ct::run_training(o);
  }
  static void TearDownTestSuite() {
    reference_.reset();
    data_.reset();
  }
  void SetUp() override {
    if (!ct::distributed_available()) GTEST_SKIP() << "this build has no c10d (libgloo-dev missing at build time)";
    ASSERT_NE(std::getenv("COLORIZE_TRAIN"), nullptr) << "COLORIZE_TRAIN is not set (run the tests with meson test)";
    ASSERT_TRUE(fs::exists(ct::checkpoint_dir(reference_->path(), kEpochs))) << "the reference run failed";
  }
  /// Starts rank `rank` of a 2-process run on `port`.
  pid_t rank(int rank, int port, const std::vector<std::string> &args, const std::string &err) {
    return spawn_trainer(args,
                         {{"RANK", std::to_string(rank)}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"},
                          {"MASTER_PORT", std::to_string(port)}, {"LOCAL_RANK", "0"}},
                         err);
  }
  static std::unique_ptr<TempDir> data_, reference_;
  TempDir run_, logs_;
};
std::unique_ptr<TempDir> TrainerDistributed::data_, TrainerDistributed::reference_;

}  // namespace

TEST_F(TrainerDistributed, TwoProcessesTrainLikeOneWithTheSameGlobalBatch) {
  const int port = free_port();
  TempDir other;
  const std::string other_out = other.file("rank1");  // rank 1 must write nothing
  const pid_t r1 = rank(1, port, train_args(data_->path(), other_out, kEpochs), logs_.file("1"));
  const pid_t r0 = rank(0, port, train_args(data_->path(), run_.path(), kEpochs), logs_.file("0"));
  ASSERT_EQ(wait_for(r0, 300), 0) << read_text(logs_.file("0"));
  ASSERT_EQ(wait_for(r1, 60), 0) << read_text(logs_.file("1"));
  for (int e : {1, kEpochs - 1, kEpochs}) {
    EXPECT_LE(max_difference(ct::load_generator(ct::checkpoint_dir(run_.path(), e)),
                             ct::load_generator(ct::checkpoint_dir(reference_->path(), e))),
              1e-5)
        << "epoch " << e;
  }
  expect_same_weights(run_.path(), reference_->path(), kEpochs);
  EXPECT_FALSE(fs::exists(other_out)) << "rank 1 wrote files";
  // The epochs' losses are the means over both processes: the reference's.
  const auto a = ct::load_state(ct::checkpoint_dir(run_.path(), kEpochs)).history;
  const auto b = ct::load_state(ct::checkpoint_dir(reference_->path(), kEpochs)).history;
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(a[i].g_l1, b[i].g_l1, 1e-6) << "epoch " << i + 1;
    EXPECT_NEAR(a[i].g_class, b[i].g_class, 1e-5) << "epoch " << i + 1;
    EXPECT_NEAR(a[i].d_loss, b[i].d_loss, 1e-6) << "epoch " << i + 1;
    EXPECT_NEAR(a[i].val.psnr, b[i].val.psnr, 1e-4) << "epoch " << i + 1;
  }
  EXPECT_TRUE(fs::exists(run_.file("model.pt")));
}

TEST_F(TrainerDistributed, AKilledRankStopsTheOtherAndTheRunResumesWithAnyWorldSize) {
  // A long run; rank 1 is killed once checkpoint 2 is complete.
  int port = free_port();
  const pid_t r1 = rank(1, port, train_args(data_->path(), run_.path(), 1000), logs_.file("1"));
  const pid_t r0 = rank(0, port, train_args(data_->path(), run_.path(), 1000), logs_.file("0"));
  const fs::path second = fs::path(ct::checkpoint_dir(run_.path(), 2)) / "state.json";
  const auto t0 = Clock::now();
  while (!fs::exists(second) && std::chrono::duration<double>(Clock::now() - t0).count() < 120) usleep(2000);
  ASSERT_TRUE(fs::exists(second)) << read_text(logs_.file("0")) << read_text(logs_.file("1"));
  kill(r1, SIGKILL);
  const auto killed = Clock::now();
  EXPECT_EQ(wait_for(r1, 10), 128 + SIGKILL);
  const int rc = wait_for(r0, 60);
  const double seconds = std::chrono::duration<double>(Clock::now() - killed).count();
  EXPECT_NE(rc, -1) << "rank 0 still running 60 s after rank 1 was killed";
  EXPECT_NE(rc, 0);
  const std::string err = read_text(logs_.file("0"));
  EXPECT_NE(err.find("colorize-train: error: rank 0 of 2: lost the other ranks while "), std::string::npos) << err;
  EXPECT_NE(err.find("--resume"), std::string::npos) << err;
  EXPECT_LT(seconds, 60);
  const int done = ct::load_state(ct::latest_checkpoint(run_.path())).epoch;
  ASSERT_GE(done, 2);
  ASSERT_LT(done, kEpochs) << "the run was past the compared epoch when rank 1 was killed";

  // Both ranks again with --resume: the result is the reference's.
  auto resume = [&](const std::string &out, int epochs) {
    return std::vector<std::string>{"--out", out, "--resume", "--epochs", std::to_string(epochs), "--quiet"};
  };
  port = free_port();
  const pid_t s1 = rank(1, port, resume(run_.path(), kEpochs), logs_.file("1"));
  const pid_t s0 = rank(0, port, resume(run_.path(), kEpochs), logs_.file("0"));
  ASSERT_EQ(wait_for(s0, 300), 0) << read_text(logs_.file("0"));
  ASSERT_EQ(wait_for(s1, 60), 0) << read_text(logs_.file("1"));
  expect_same_weights(run_.path(), reference_->path(), kEpochs);

  // Another world size: the 2-process run goes on in one process
  // (--accumulate 2), a copy of the one-process reference on 2 processes.
  TempDir copy;
  fs::copy(reference_->path(), copy.path(), fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  std::vector<std::string> one = resume(run_.path(), kEpochs + 1);
  one.insert(one.end(), {"--accumulate", "2"});
  ASSERT_EQ(wait_for(spawn_trainer(one, {}, logs_.file("one")), 300), 0) << read_text(logs_.file("one"));
  port = free_port();
  const pid_t t1 = rank(1, port, resume(copy.path(), kEpochs + 1), logs_.file("1"));
  const pid_t t0r = rank(0, port, resume(copy.path(), kEpochs + 1), logs_.file("0"));
  ASSERT_EQ(wait_for(t0r, 300), 0) << read_text(logs_.file("0"));
  ASSERT_EQ(wait_for(t1, 60), 0) << read_text(logs_.file("1"));
  expect_same_weights(run_.path(), copy.path(), kEpochs + 1);
}

TEST_F(TrainerDistributed, BadLaunchesEndWithOneLineAndNonZeroStatus) {
  struct Case {
    std::map<std::string, std::string> env;
    int status;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{{"WORLD_SIZE", "0"}}, 2, "colorize-train: WORLD_SIZE 0 is out of range (1..65536)"},
      {{{"WORLD_SIZE", "2"}, {"RANK", "2"}}, 2, "colorize-train: rank 2 is not below the world size 2"},
      {{{"WORLD_SIZE", "2"}, {"RANK", "1"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", std::to_string(free_port())}},
       1, "colorize-train: error: rank 1 of 2: no rendezvous at 127.0.0.1:"},
  };
  for (const auto &c : cases) {
    std::vector<std::string> args = train_args(data_->path(), run_.path(), 1);
    args.insert(args.end(), {"--dist-timeout", "2"});
    const int rc = wait_for(spawn_trainer(args, c.env, logs_.file("err")), 60);
    const std::string err = read_text(logs_.file("err"));
    EXPECT_EQ(rc, c.status) << err;
    EXPECT_EQ(err.rfind(c.message, 0), 0u) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
  EXPECT_FALSE(fs::exists(run_.file("checkpoints")));
}
