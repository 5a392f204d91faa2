// colorize-train --resume with damaged checkpoints: the newest checkpoint
// that loads completely is continued, each damaged one is reported by name
// and left as it is until the resumed run saves over it, and a run with no
// loadable checkpoint fails listing every folder and why.
#include <gtest/gtest.h>

#include <torch/script.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "model_io.h"
#include "options.h"
#include "support.h"
#include "train.h"
#include "trainer_fixtures.h"

namespace fs = std::filesystem;
using colorize::testing::data_path;
using colorize::testing::TempDir;
using colorize::testing::tiny_options;
namespace ct = colorize::train;

namespace {

/// Every file under `dir` (relative path -> content).
std::map<std::string, std::string> snapshot(const std::string &dir) {
  std::map<std::string, std::string> files;
  for (const auto &e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream f(e.path(), std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    files[fs::relative(e.path(), dir).string()] = s.str();
  }
  return files;
}

/// Names of the entries of `dir`, sorted.
std::vector<std::string> entries(const std::string &dir) {
  std::vector<std::string> names;
  for (const auto &e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

void expect_same_parameters(const torch::jit::Module &a, const torch::jit::Module &b) {
  std::vector<torch::Tensor> pa, pb;
  for (const auto &p : a.parameters()) pa.push_back(p);
  for (const auto &p : b.parameters()) pb.push_back(p);
  ASSERT_EQ(pa.size(), pb.size());
  ASSERT_FALSE(pa.empty());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i])) << "parameter " << i << " differs";
}

/// --resume of the run in `out`, `epochs` long.
ct::TrainOptions resume_options(const std::string &out, int epochs) {
  ct::TrainOptions r;
  r.out_dir = out;
  r.resume = true;
  r.epochs = epochs;
  r.given.insert("epochs");
  r.workers = 2;
  r.quiet = true;
  r.device = "cpu";
  return r;
}

/// run_training with stderr captured into `err`.
ct::TrainResult train_capturing(const ct::TrainOptions &o, std::string &err) {
  ::testing::internal::CaptureStderr();
  try {
    ct::TrainResult r = ct::run_training(o);
    err = ::testing::internal::GetCapturedStderr();
    return r;
  } catch (...) {
    err = ::testing::internal::GetCapturedStderr();
    throw;
  }
}

std::vector<int> epochs_of(const std::vector<ct::EpochStats> &history) {
  std::vector<int> e;
  for (const auto &s : history) e.push_back(s.epoch);
  return e;
}

void write_text(const std::string &path, const std::string &content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

/// One 3-epoch run shared by the tests (checkpoints 2 and 3 complete,
/// checkpoint 1 pruned to generator.pt + state.json); each test damages a
/// copy of it.
class DamagedCheckpoint : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = std::make_unique<TempDir>();
    run_ = std::make_unique<TempDir>();
    for (const char *name : colorize::testing::kTrainPhotos) fs::copy_file(data_path(name), data_->file(name));
    ct::run_training(tiny_options(data_->path(), run_->path()));
  }
  static void TearDownTestSuite() {
    run_.reset();
    data_.reset();
  }
  void SetUp() override {
    ASSERT_TRUE(fs::exists(ct::checkpoint_dir(run_->path(), 3))) << "the shared run failed";
    fs::copy(run_->path(), out_.path(), fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
  std::string dir(int epoch) const { return ct::checkpoint_dir(out_.path(), epoch); }
  static std::string original(int epoch) { return ct::checkpoint_dir(run_->path(), epoch); }

  static std::unique_ptr<TempDir> data_, run_;
  TempDir out_;
};
std::unique_ptr<TempDir> DamagedCheckpoint::data_, DamagedCheckpoint::run_;

struct Damage {
  const char *name;
  const char *file;  ///< in the newest checkpoint
  std::function<void(const std::string &path)> apply;
};

void PrintTo(const Damage &d, std::ostream *os) { *os << d.name; }

class NewestCheckpointDamaged : public DamagedCheckpoint, public ::testing::WithParamInterface<Damage> {};

}  // namespace

TEST_P(NewestCheckpointDamaged, ResumesFromThePreviousOneAndSavesOverItOnlyWhenReachingItsEpoch) {
  const Damage &damage = GetParam();
  damage.apply(fs::path(dir(3)) / damage.file);
  const auto damaged = snapshot(dir(3));

  // A resume that stops at epoch 2 continues from checkpoint 2 and leaves
  // checkpoint 3 exactly as it found it.
  std::string err;
  auto result = train_capturing(resume_options(out_.path(), 2), err);
  EXPECT_EQ(result.state.epoch, 2);
  EXPECT_EQ(epochs_of(result.state.history), (std::vector<int>{1, 2}));
  EXPECT_NE(err.find("warning: cannot resume from " + dir(3) + ": "), std::string::npos) << err;
  EXPECT_NE(err.find(damage.file), std::string::npos) << err;
  EXPECT_NE(err.find("resuming from " + dir(2)), std::string::npos) << err;
  EXPECT_EQ(snapshot(dir(3)), damaged) << "the damaged checkpoint was changed";

  // Resumed up to epoch 3, the run trains epoch 3 from checkpoint 2 (the same
  // weights as the uninterrupted run's) and its own checkpoint replaces the
  // damaged folder whole, leaving no temporary folder behind.
  result = train_capturing(resume_options(out_.path(), 3), err);
  EXPECT_EQ(result.state.epoch, 3);
  EXPECT_EQ(epochs_of(result.state.history), (std::vector<int>{1, 2, 3}));
  EXPECT_NE(err.find("cannot resume from " + dir(3)), std::string::npos) << err;
  const ct::LoadedCheckpoint saved = ct::load_checkpoint(dir(3));
  EXPECT_EQ(saved.state.epoch, 3);
  EXPECT_EQ(epochs_of(saved.state.history), (std::vector<int>{1, 2, 3}));
  expect_same_parameters(saved.nets.g, ct::load_generator(original(3)));
  EXPECT_EQ(entries(dir(3)), entries(original(3)));
  EXPECT_EQ(entries(fs::path(dir(3)).parent_path().string()),
            (std::vector<std::string>{"epoch-0001", "epoch-0002", "epoch-0003"}));

  // The next resume finds checkpoint 3 whole and continues it.
  result = train_capturing(resume_options(out_.path(), 3), err);
  EXPECT_EQ(result.state.epoch, 3);
  EXPECT_EQ(err.find("cannot resume"), std::string::npos) << err;
  EXPECT_EQ(err.find("resuming from"), std::string::npos) << err;
}

INSTANTIATE_TEST_SUITE_P(
    Resume, NewestCheckpointDamaged,
    ::testing::Values(
        Damage{"TruncatedGenerator", "generator.pt",
               [](const std::string &p) { fs::resize_file(p, fs::file_size(p) / 2); }},
        Damage{"GarbageState", "state.json",
               [](const std::string &p) { write_text(p, "{\"epoch\": 3, \"options\": [x"); }},
        Damage{"GarbageOptimizer", "optimizer_g.pt",
               [](const std::string &p) { write_text(p, "not a torch archive"); }},
        Damage{"MissingRng", "rng.pt", [](const std::string &p) { fs::remove(p); }}),
    [](const ::testing::TestParamInfo<Damage> &info) { return std::string(info.param.name); });

TEST_F(DamagedCheckpoint, NoLoadableCheckpointFailsListingEachFolderAndChangesNothing) {
  fs::resize_file(fs::path(dir(3)) / "generator.pt", 100);
  write_text((fs::path(dir(2)) / "state.json").string(), "garbage");
  const auto before = snapshot(out_.path());

  std::vector<std::string> args = {"colorize-train", "--out", out_.path(), "--resume", "--quiet"};
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStderr();
  const int rc = ct::run_cli(int(argv.size()), argv.data());
  const std::string err = ::testing::internal::GetCapturedStderr();

  EXPECT_EQ(rc, 1) << err;
  EXPECT_NE(err.find("warning: cannot resume from " + dir(3) + ": "), std::string::npos) << err;
  const size_t listing = err.find("error: no checkpoint in " + out_.path() + " can be resumed:");
  ASSERT_NE(listing, std::string::npos) << err;
  const std::string list = err.substr(listing);
  EXPECT_NE(list.find("\n  " + dir(3) + ": " + dir(3) + "/generator.pt: cannot load"), std::string::npos) << list;
  EXPECT_NE(list.find("\n  " + dir(2) + ": " + dir(2) + "/state.json: invalid JSON"), std::string::npos) << list;
  EXPECT_NE(list.find("\n  " + dir(1) + ": older checkpoints keep only generator.pt and state.json"),
            std::string::npos)
      << list;
  EXPECT_EQ(snapshot(out_.path()), before) << "the run folder was changed";
}

/// The shared 3-epoch run, undamaged.
class ResumedRun : public DamagedCheckpoint {};

TEST_F(ResumedRun, NewLearningRateDecayAndLambdaApplyToTheEpochsStillToRun) {
  const double lambda = ct::load_state(ct::latest_checkpoint(out_.path())).options.lambda_l1;
  ct::TrainOptions r = resume_options(out_.path(), 5);
  r.lr = 1e-4;
  r.given.insert("lr");
  r.lambda_l1 = lambda / 4;  // e.g. a GAN phase after pre-training, with a stronger adversarial loss
  r.given.insert("lambda");
  r.decay_epochs = 2;
  r.given.insert("decay-epochs");
  const auto result = ct::run_training(r);
  ASSERT_EQ(epochs_of(result.state.history), (std::vector<int>{1, 2, 3, 4, 5}));
  const double first = tiny_options("", "").lr;
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(result.state.history[i].lr, first) << "epoch " << i + 1;
  EXPECT_DOUBLE_EQ(result.state.history[3].lr, 1e-4 * 2 / 3);  // a warm restart, decaying to 0 after epoch 5
  EXPECT_DOUBLE_EQ(result.state.history[4].lr, 1e-4 * 1 / 3);
  EXPECT_DOUBLE_EQ(ct::load_state(ct::latest_checkpoint(out_.path())).options.lr, 1e-4);
  EXPECT_DOUBLE_EQ(ct::load_state(ct::latest_checkpoint(out_.path())).options.lambda_l1, lambda / 4);
}
