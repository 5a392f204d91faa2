// colorize-train: tiny networks trained for a few steps on small crops of
// the fixture photos, so the whole program stays fast.
#include <gtest/gtest.h>

#include <torch/cuda.h>
#include <torch/script.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "colorize/metadata.h"
#include "colorize/model.h"
#include "data.h"
#include "model_io.h"
#include "nets.h"
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

const auto &kPhotos = colorize::testing::kTrainPhotos;

/// A data folder with copies of the fixture photos (in a subfolder too, to
/// exercise the recursive scan).
void make_data_dir(const std::string &dir) {
  fs::create_directories(fs::path(dir) / "sub");
  int i = 0;
  for (const char *name : kPhotos) {
    const fs::path to = fs::path(dir) / (i++ % 2 ? "sub" : "") / name;
    fs::copy_file(data_path(name), to);
  }
}

/// run_cli with a vector of arguments; captures stderr into `err`.
int run_cli(std::vector<std::string> args, std::string *err = nullptr) {
  args.insert(args.begin(), "colorize-train");
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStderr();
  const int rc = ct::run_cli(int(argv.size()), argv.data());
  const std::string text = ::testing::internal::GetCapturedStderr();
  if (err) *err = text;
  return rc;
}

/// JSON text without whitespace, so searches do not depend on formatting.
std::string compact(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }), s.end());
  return s;
}

void expect_same_parameters(const torch::jit::Module &a, const torch::jit::Module &b) {
  auto pa = a.named_parameters(), pb = b.named_parameters();
  std::vector<std::pair<std::string, torch::Tensor>> va, vb;
  for (const auto &p : pa) va.emplace_back(p.name, p.value);
  for (const auto &p : pb) vb.emplace_back(p.name, p.value);
  ASSERT_EQ(va.size(), vb.size());
  ASSERT_FALSE(va.empty());
  for (size_t i = 0; i < va.size(); ++i) {
    EXPECT_EQ(va[i].first, vb[i].first);
    EXPECT_TRUE(torch::equal(va[i].second, vb[i].second)) << va[i].first << " differs";
  }
}

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override { make_data_dir(data_.path()); }
  TempDir data_, out_;
};

}  // namespace

TEST_F(TrainerTest, ShortTrainingLowersL1AndWritesOutputs) {
  auto o = tiny_options(data_.path(), out_.path());
  o.epochs = o.pretrain_epochs = 8;
  o.lr = 2e-3;
  o.samples_every = 4;
  const auto result = ct::run_training(o);
  const auto &h = result.state.history;
  ASSERT_EQ(h.size(), 8u);
  EXPECT_LT(h.back().g_l1, 0.8 * h.front().g_l1) << "first " << h.front().g_l1 << ", last " << h.back().g_l1;
  EXPECT_GT(h.back().val.psnr, 5.0);
  EXPECT_EQ(result.state.train_photos, 4);
  EXPECT_EQ(result.state.val_photos, 2);
  // losses.csv: header + one row per epoch; plot and sample grids readable.
  std::ifstream csv(out_.file("losses.csv"));
  int lines = 0;
  for (std::string line; std::getline(csv, line);) ++lines;
  EXPECT_EQ(lines, 9);
  EXPECT_FALSE(cv::imread(out_.file("losses.png")).empty());
  const cv::Mat grid = cv::imread(out_.file("samples/epoch-0008.png"));
  ASSERT_FALSE(grid.empty());
  EXPECT_GE(grid.rows, 6 * 32);  // 2 blocks x 3 rows of 32-pixel crops
  EXPECT_TRUE(fs::exists(out_.file("samples/epoch-0004.png")));
  EXPECT_TRUE(fs::exists(result.model_path));
  std::ifstream val(out_.file("val-photos.txt"));
  int held_out = 0;
  for (std::string line; std::getline(val, line);) held_out += fs::exists(line) ? 1 : 0;
  EXPECT_EQ(held_out, 2);
}

TEST_F(TrainerTest, ResumeReproducesUninterruptedRun) {
  TempDir other;
  auto full = tiny_options(data_.path(), out_.path());
  ct::run_training(full);

  auto part = tiny_options(data_.path(), other.path());
  part.epochs = 2;
  ct::run_training(part);
  ct::TrainOptions resume;
  resume.out_dir = other.path();
  resume.resume = true;
  resume.epochs = 3;
  resume.given.insert("epochs");
  resume.threads = 1;
  resume.workers = 3;  // a different worker count must not change the data
  resume.quiet = true;
  resume.device = "cpu";
  const auto result = ct::run_training(resume);
  EXPECT_EQ(result.state.epoch, 3);
  EXPECT_EQ(result.state.history.size(), 3u);

  const std::string a = ct::checkpoint_dir(out_.path(), 3), b = ct::checkpoint_dir(other.path(), 3);
  expect_same_parameters(ct::load_generator(a), ct::load_generator(b));
  expect_same_parameters(torch::jit::load(a + "/discriminator.pt"), torch::jit::load(b + "/discriminator.pt"));
}

namespace {

pid_t spawn(const std::vector<std::string> &args) {
  std::vector<char *> argv;
  for (const auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0) << argv[0];
  return pid;
}

/// colorize-train command line equivalent to tiny_options(), `epochs` long.
std::vector<std::string> tiny_command(const std::string &data, const std::string &out, int epochs) {
  const char *exe = std::getenv("COLORIZE_TRAIN");
  return {exe ? exe : "colorize-train", "--data", data, "--out", out, "--size", "32", "--depth", "3",
          "--width", "8", "--disc-width", "8", "--disc-layers", "2", "--batch", "2",
          "--epochs", std::to_string(epochs), "--pretrain-epochs", "1", "--decay-epochs", "0", "--threads", "1",
          "--workers", "2",
          "--val-fraction", "0.34", "--samples-every", "0", "--num-samples", "2", "--seed", "7",
          "--device", "cpu", "--quiet"};
}

}  // namespace

TEST_F(TrainerTest, ResumeAfterKillNineReproducesUninterruptedRun) {
  ASSERT_NE(std::getenv("COLORIZE_TRAIN"), nullptr) << "COLORIZE_TRAIN is not set (run the tests with meson test)";
  const int epochs = 16;
  int status = 0;
  const pid_t full = spawn(tiny_command(data_.path(), out_.path(), epochs));
  ASSERT_EQ(waitpid(full, &status, 0), full);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "uninterrupted run failed, status " << status;

  // SIGKILL as soon as the second checkpoint is complete: the process is
  // then somewhere in epochs 3..16, training or writing a checkpoint.
  TempDir killed;
  const pid_t pid = spawn(tiny_command(data_.path(), killed.path(), epochs));
  const fs::path second = fs::path(ct::checkpoint_dir(killed.path(), 2)) / "state.json";
  bool exited = false;
  while (!fs::exists(second) && !exited) {
    exited = waitpid(pid, &status, WNOHANG) == pid;
    usleep(1000);
  }
  ASSERT_FALSE(exited) << "the run ended before its second checkpoint, status " << status;
  kill(pid, SIGKILL);
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the run ended before it was killed";
  const int done = ct::load_state(ct::latest_checkpoint(killed.path())).epoch;
  ASSERT_GE(done, 2);
  ASSERT_LT(done, epochs) << "the run had finished when it was killed";

  const char *exe = std::getenv("COLORIZE_TRAIN");
  const pid_t resumed = spawn({exe, "--out", killed.path(), "--resume", "--quiet"});
  ASSERT_EQ(waitpid(resumed, &status, 0), resumed);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "resumed run failed, status " << status;
  const std::string a = ct::checkpoint_dir(out_.path(), epochs), b = ct::checkpoint_dir(killed.path(), epochs);
  expect_same_parameters(ct::load_generator(a), ct::load_generator(b));
  expect_same_parameters(torch::jit::load(a + "/discriminator.pt"), torch::jit::load(b + "/discriminator.pt"));
  // losses.csv has each epoch once, although epochs after the last
  // checkpoint ran twice.
  std::ifstream csv(killed.file("losses.csv"));
  int lines = 0;
  for (std::string line; std::getline(csv, line);) ++lines;
  EXPECT_EQ(lines, epochs + 1);
}

TEST_F(TrainerTest, ExportLoadsInCoreWithSameOutputAndValidMetadata) {
  auto o = tiny_options(data_.path(), out_.path());
  o.epochs = 2;
  ct::run_training(o);
  const std::string ckpt = ct::checkpoint_dir(out_.path(), 2);
  torch::jit::Module g = ct::load_generator(ckpt);
  colorize::nets::set_training(g, false);

  torch::manual_seed(3);
  const torch::Tensor x = torch::rand({1, 1, 32, 48}) * 2 - 1;
  torch::Tensor expected;
  {
    torch::NoGradGuard no_grad;
    expected = g.forward({x}).toTensor();
  }
  cv::Mat xm(32, 48, CV_32FC1, x.data_ptr<float>());

  for (bool half : {false, true}) {
    const std::string file = out_.file(half ? "half.pt" : "full.pt");
    ASSERT_EQ(run_cli({"export", "--checkpoint", ckpt, "--out", file, half ? "--half" : "--name=t"}), 0);
    colorize::LoadOptions lo;
    lo.device = colorize::Device::Cpu;
    colorize::set_cpu_threads(1);
    const auto model = colorize::Model::load(file, lo);
    EXPECT_EQ(model.info().input_size, 32);
    EXPECT_EQ(model.info().size_multiple, 8);
    EXPECT_EQ(model.info().color_space, colorize::ColorSpace::Lab);
    const cv::Mat y = model.forward(xm);
    ASSERT_EQ(y.type(), CV_32FC2);
    double max_diff = 0;
    for (int r = 0; r < 32; ++r)
      for (int c = 0; c < 48; ++c)
        for (int k = 0; k < 2; ++k)
          max_diff = std::max(max_diff, double(std::abs(y.at<cv::Vec2f>(r, c)[k] -
                                                        expected[0][k][r][c].item<float>())));
    EXPECT_LT(max_diff, half ? 2e-2 : 1e-5) << (half ? "half" : "float") << " export";
    // The metadata inside passes core's validation and records the run.
    std::unordered_map<std::string, std::string> extra{{colorize::kMetadataFileName, ""}};
    torch::jit::load(file, torch::kCPU, extra);
    const auto info = colorize::parse_model_info(extra[colorize::kMetadataFileName], file);
    EXPECT_NE(compact(info.training_json).find("\"train_photos\":4"), std::string::npos) << info.training_json;
    EXPECT_NE(info.architecture_json.find("\"depth\""), std::string::npos);
  }
  EXPECT_LT(fs::file_size(out_.file("half.pt")), fs::file_size(out_.file("full.pt")));
}

TEST_F(TrainerTest, CorruptAndGrayscaleFilesAreSkippedWithAWarning) {
  const std::string broken = (fs::path(data_.path()) / "sub" / "broken.jpg").string();
  std::ofstream(broken) << "this is not a JPEG";
  // Half a JPEG with an end marker: OpenCV would decode it, half gray.
  std::ifstream whole(data_path("flower.jpg"), std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(whole), {}};
  std::ofstream(fs::path(data_.path()) / "cut.jpg", std::ios::binary)
      << bytes.substr(0, bytes.size() / 2) << "\xFF\xD9";
  const std::string gray = (fs::path(data_.path()) / "gray.png").string();
  cv::Mat g = cv::imread(data_path("coffee.png"), cv::IMREAD_GRAYSCALE);
  ASSERT_TRUE(cv::imwrite(gray, g));
  std::string err;
  const int rc = run_cli({"--data", data_.path(), "--out", out_.path(), "--size", "32", "--depth", "3",
                          "--width", "4", "--disc-width", "4", "--batch", "2", "--epochs", "1", "--threads", "1",
                          "--val-fraction", "0.2", "--samples-every", "0"},
                         &err);
  EXPECT_EQ(rc, 0) << err;
  EXPECT_NE(err.find("broken.jpg: cannot decode"), std::string::npos) << err;
  EXPECT_NE(err.find("gray.png: grayscale photo"), std::string::npos) << err;
  EXPECT_NE(err.find("cut.jpg: damaged JPEG data (libjpeg: Corrupt JPEG data: premature end of data segment)"),
            std::string::npos) << err;
  // libjpeg's own warning, without the file name, is not printed besides.
  size_t reports = 0;
  for (size_t at = err.find("Corrupt JPEG"); at != std::string::npos; at = err.find("Corrupt JPEG", at + 1))
    ++reports;
  EXPECT_EQ(reports, 1u) << err;
  EXPECT_TRUE(fs::exists(out_.file("model.pt")));
}

TEST_F(TrainerTest, BadOptionsGiveClearErrorsAndNonZeroExit) {
  TempDir empty;
  std::string err;
  EXPECT_NE(run_cli({"--data", data_.path(), "--out", out_.path(), "--size", "30", "--depth", "3"}, &err), 0);
  EXPECT_NE(err.find("--size 30"), std::string::npos) << err;
  EXPECT_NE(run_cli({"--data", data_.path(), "--out", out_.path(), "--size", "8192", "--depth", "3"}, &err), 0);
  EXPECT_NE(err.find("--size must be at most 4096"), std::string::npos) << err;
  EXPECT_NE(run_cli({"--data", data_.path(), "--out", out_.path(), "--threads", "100000"}, &err), 0);
  EXPECT_NE(err.find("--threads must be in 0..256"), std::string::npos) << err;
  EXPECT_NE(run_cli({"--data", data_.path() + "/missing", "--out", out_.path(), "--size", "32", "--depth", "3"}, &err),
            0);
  EXPECT_NE(err.find("missing: no such folder"), std::string::npos) << err;
  EXPECT_NE(run_cli({"--data", empty.path(), "--out", out_.path(), "--size", "32", "--depth", "3"}, &err), 0);
  EXPECT_NE(err.find("no photos found"), std::string::npos) << err;
  if (!torch::cuda::is_available()) {  // core's device rule, named after the option
    EXPECT_NE(run_cli({"--data", data_.path(), "--out", out_.path(), "--size", "32", "--depth", "3", "--device",
                       "cuda"},
                      &err),
              0);
    EXPECT_NE(err.find("--device cuda (LOCAL_RANK 0): cannot use device \"cuda\""), std::string::npos) << err;
  }
  EXPECT_NE(run_cli({"--data", data_.path(), "--out", out_.path(), "--gan-loss", "hinge"}, &err), 0);
  EXPECT_NE(err.find("--gan-loss: unknown value 'hinge'"), std::string::npos) << err;
  EXPECT_NE(run_cli({"--data", data_.path(), "--out", out_.path(), "--size", "abc"}, &err), 0);
  EXPECT_NE(err.find("abc"), std::string::npos) << err;
  EXPECT_NE(run_cli({"--out", out_.path(), "--resume"}, &err), 0);
  EXPECT_NE(err.find("no checkpoint"), std::string::npos) << err;
  EXPECT_NE(run_cli({"export", "--checkpoint", empty.path(), "--out", out_.file("m.pt")}, &err), 0);
  EXPECT_NE(err.find("state.json"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(out_.file("m.pt")));
  EXPECT_NE(run_cli({"frobnicate"}, &err), 0);
  EXPECT_NE(err.find("unknown command 'frobnicate'"), std::string::npos) << err;
}

TEST_F(TrainerTest, RgbAndAutoencoderVariantsExportLoadableModels) {
  auto o = tiny_options(data_.path(), out_.path());
  o.space = ct::Space::Rgb;
  o.class_weight = 0;  // the colour-class head predicts a,b
  o.epochs = 2;
  ct::run_training(o);
  colorize::LoadOptions lo;
  lo.device = colorize::Device::Cpu;
  EXPECT_EQ(colorize::Model::load(out_.file("model.pt"), lo).info().color_space, colorize::ColorSpace::Rgb);

  TempDir ae;
  auto a = tiny_options(data_.path(), ae.path());
  a.arch = ct::Arch::Autoencoder;
  a.pretrain_epochs = 0;  // ignored: the autoencoder is trained with L1 only
  const auto result = ct::run_training(a);
  for (const auto &e : result.state.history) EXPECT_EQ(e.phase, "l1");
  EXPECT_FALSE(fs::exists(ct::checkpoint_dir(ae.path(), 3) + "/discriminator.pt"));
  const auto m = colorize::Model::load(ae.file("model.pt"), lo);
  EXPECT_NE(compact(m.info().architecture_json).find("\"skips\":false"), std::string::npos)
      << m.info().architecture_json;
}

TEST_F(TrainerTest, EvalPrintsModelAndGrayscaleBaseline) {
  auto o = tiny_options(data_.path(), out_.path());
  o.epochs = 1;
  ct::run_training(o);
  ::testing::internal::CaptureStdout();
  std::string err;
  const int rc = run_cli({"eval", "--model", out_.file("model.pt"), "--data", data_.path(), "--resolution", "32",
                          "--threads", "1", "--max-images", "3", "--grid", out_.file("grid.png"), "--grid-count", "2"},
                         &err);
  const std::string out = ::testing::internal::GetCapturedStdout();
  ASSERT_EQ(rc, 0) << err;
  EXPECT_NE(out.find("3 photos"), std::string::npos) << out;
  EXPECT_NE(out.find("grayscale (a=b=0)"), std::string::npos) << out;
  EXPECT_NE(out.find("originals"), std::string::npos) << out;
  const cv::Mat grid = cv::imread(out_.file("grid.png"));
  ASSERT_FALSE(grid.empty());
  EXPECT_GE(grid.rows, 3 * 192);
  EXPECT_GE(grid.cols, 2 * 192);
  EXPECT_LT(grid.cols, 3 * 192);
}

TEST(TrainerData, BatchesDependOnSeedAndIndexNotOnWorkers) {
  std::vector<ct::Photo> photos;
  for (const char *name : kPhotos) photos.push_back({name, cv::imread(data_path(name), cv::IMREAD_COLOR)});
  auto batches = [&](int workers, int64_t seed) {
    ct::BatchLoader loader(photos, 16, 2, ct::Space::Lab, seed, workers);
    std::vector<float> all;
    for (int epoch = 0; epoch < 2; ++epoch) {
      loader.start_epoch(epoch);
      ct::Batch b;
      while (loader.next(b)) {
        all.insert(all.end(), b.x.begin(), b.x.end());
        all.insert(all.end(), b.y.begin(), b.y.end());
      }
    }
    return all;
  };
  const auto one = batches(1, 5);
  EXPECT_EQ(one.size(), size_t(2 * 3 * 2 * (1 + 2) * 16 * 16));
  EXPECT_EQ(one, batches(4, 5));
  EXPECT_NE(one, batches(1, 6));
}

TEST(TrainerData, GrayscaleDetection) {
  const cv::Mat colour = cv::imread(data_path("coffee.png"), cv::IMREAD_COLOR);
  cv::Mat gray;
  cv::cvtColor(cv::imread(data_path("coffee.png"), cv::IMREAD_GRAYSCALE), gray, cv::COLOR_GRAY2BGR);
  EXPECT_FALSE(ct::is_grayscale(colour));
  EXPECT_TRUE(ct::is_grayscale(gray));
}

TEST(TrainerSchedule, LearningRateDecaysLinearlyOverTheLastEpochs) {
  ct::TrainOptions o;
  o.lr = 1.0;
  o.epochs = 10;
  o.decay_epochs = 4;
  EXPECT_DOUBLE_EQ(ct::learning_rate(o, 0), 1.0);
  EXPECT_DOUBLE_EQ(ct::learning_rate(o, 5), 1.0);
  EXPECT_DOUBLE_EQ(ct::learning_rate(o, 6), 0.8);
  EXPECT_DOUBLE_EQ(ct::learning_rate(o, 9), 0.2);
  o.decay_epochs = 0;
  EXPECT_DOUBLE_EQ(ct::learning_rate(o, 9), 1.0);
}

namespace {

/// An Adam state file laid out like torch::save's, with the parameter keys
/// written as LibTorch 1.x writes them (hex addresses of another process).
void write_adam_file(const std::string &path, const std::vector<torch::Tensor> &exp_avg, int64_t step) {
  torch::serialize::OutputArchive archive;
  archive.write("pytorch_version", c10::IValue(std::string("1.5.0")));
  torch::serialize::OutputArchive state(archive.compilation_unit()), groups(archive.compilation_unit()),
      group(archive.compilation_unit()), options(archive.compilation_unit());
  group.write("params/size", torch::tensor(int64_t(exp_avg.size())));
  for (size_t k = 0; k < exp_avg.size(); ++k) {
    const std::string key = "0x7f3a" + std::to_string(1000 + k);
    torch::serialize::OutputArchive moments(archive.compilation_unit());
    torch::optim::AdamParamState s;
    s.step(step);
    s.exp_avg(exp_avg[k]);
    s.exp_avg_sq(exp_avg[k] * exp_avg[k]);
    s.serialize(moments);
    state.write(key, moments);
    group.write("params/" + std::to_string(k), c10::IValue(key));
  }
  torch::optim::AdamOptions(1e-3).serialize(options);
  group.write("options", options);
  groups.write("param_groups/size", torch::tensor(int64_t(1)));
  groups.write("param_groups/0", group);
  archive.write("state", state);
  archive.write("param_groups", groups);
  archive.save_to(path);
}

}  // namespace

TEST(TrainerCheckpoint, AdamMomentsAreRestoredByPositionWhateverTheSavedKeys) {
  TempDir dir;
  std::vector<torch::Tensor> params = {torch::zeros({2, 3}, torch::requires_grad()),
                                       torch::zeros({4}, torch::requires_grad())};
  torch::optim::Adam opt(params, torch::optim::AdamOptions(2e-4));
  const std::vector<torch::Tensor> saved = {torch::rand({2, 3}), torch::rand({4})};
  write_adam_file(dir.file("opt.pt"), saved, 42);
  ct::load_adam(opt, dir.file("opt.pt"));
  ASSERT_EQ(opt.state().size(), 2u);
  for (size_t k = 0; k < params.size(); ++k) {
    bool found = false;
    for (const auto &[key, value] : opt.state()) {
      auto &s = static_cast<torch::optim::AdamParamState &>(*value);
      if (!s.exp_avg().sizes().equals(params[k].sizes())) continue;
      found = true;
      EXPECT_TRUE(torch::equal(s.exp_avg(), saved[k]));
      EXPECT_TRUE(torch::equal(s.exp_avg_sq(), saved[k] * saved[k]));
      EXPECT_EQ(s.step(), 42);
    }
    EXPECT_TRUE(found) << "parameter " << k;
  }
  // The next step builds on the restored moments and step count (Adam,
  // beta = (0.9, 0.999) by default, eps 1e-8, step 43).
  params[1].mutable_grad() = torch::ones({4});
  params[0].mutable_grad() = torch::ones({2, 3});
  opt.step();
  const auto m = 0.9 * saved[1] + 0.1, v = 0.999 * saved[1] * saved[1] + 0.001;
  const double c1 = 1 - std::pow(0.9, 43), c2 = 1 - std::pow(0.999, 43);
  const auto expected = -2e-4 * (m / c1) / ((v / c2).sqrt() + 1e-8);
  EXPECT_TRUE(torch::allclose(params[1].detach(), expected, 1e-4, 1e-9)) << params[1] << expected;
}

TEST(TrainerCheckpoint, AdamStateOfAnotherNetworkIsRefusedNamingTheFile) {
  TempDir dir;
  std::vector<torch::Tensor> params = {torch::zeros({2, 3}, torch::requires_grad())};
  torch::optim::Adam opt(params, torch::optim::AdamOptions(2e-4));
  write_adam_file(dir.file("two.pt"), {torch::rand({2, 3}), torch::rand({4})}, 1);
  try {
    ct::load_adam(opt, dir.file("two.pt"));
    FAIL() << "no error";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("two.pt: optimizer state is for 2 parameters, the network has 1"),
              std::string::npos)
        << e.what();
  }
  write_adam_file(dir.file("shape.pt"), {torch::rand({3, 2})}, 1);
  try {
    ct::load_adam(opt, dir.file("shape.pt"));
    FAIL() << "no error";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("shape.pt: optimizer state of parameter 0 does not match"), std::string::npos)
        << e.what();
  }
}
