// Mixed precision in training (--precision bfloat16): the autocast scope
// and a short training run with it.
#include <gtest/gtest.h>
#include <torch/script.h>

#include <filesystem>

#include "model_io.h"
#include "nets.h"
#include "options.h"
#include "precision.h"
#include "support.h"
#include "train.h"
#include "trainer_fixtures.h"

namespace fs = std::filesystem;
namespace ct = colorize::train;
using colorize::testing::data_path;
using colorize::testing::TempDir;

namespace {

const torch::Device kCpu(torch::kCPU);

torch::Tensor convolve(const torch::Tensor &x) {
  static const torch::Tensor w = torch::randn({4, 1, 3, 3});
  return torch::conv2d(x, w);
}

/// The generator of a tiny U-Net with a class head, as the trainer builds it.
torch::jit::Module tiny_unet() {
  colorize::nets::UNetConfig c;
  c.depth = 3;
  c.width = 8;
  c.upsample = colorize::nets::Upsample::Resize;
  c.classes = 4;
  const torch::Tensor bins = torch::tensor({-0.3f, -0.3f, -0.3f, 0.3f, 0.3f, -0.3f, 0.3f, 0.3f}).view({4, 2});
  return colorize::nets::build_unet(c, bins);
}

}  // namespace

TEST(AutocastScope, Bfloat16RunsConvolutionsInBfloat16UntilTheScopeEnds) {
  const torch::Tensor x = torch::randn({1, 1, 8, 8});
  {
    ct::AutocastScope scope(ct::Precision::Bfloat16, kCpu);
    EXPECT_EQ(convolve(x).scalar_type(), torch::kBFloat16);
    // Element-wise arithmetic outside autocast's lists keeps its type.
    EXPECT_EQ((x * 2).scalar_type(), torch::kFloat);
  }
  EXPECT_EQ(convolve(x).scalar_type(), torch::kFloat);
}

TEST(AutocastScope, Float32ChangesNothing) {
  ct::AutocastScope scope(ct::Precision::Float32, kCpu);
  EXPECT_EQ(convolve(torch::randn({1, 1, 8, 8})).scalar_type(), torch::kFloat);
}

TEST(AutocastScope, ScopesNestAndRestoreTheOuterSetting) {
  const torch::Tensor x = torch::randn({1, 1, 8, 8});
  ct::AutocastScope outer(ct::Precision::Bfloat16, kCpu);
  { ct::AutocastScope inner(ct::Precision::Bfloat16, kCpu); }
  EXPECT_EQ(convolve(x).scalar_type(), torch::kBFloat16);
}

TEST(AutocastScope, ReachesTheTrainersTorchScriptGenerator) {
  torch::jit::Module g = tiny_unet();
  g.train();
  const torch::Tensor x = torch::randn({2, 1, 16, 16});
  torch::Tensor full, mixed;
  {
    ct::AutocastScope scope(ct::Precision::Bfloat16, kCpu);
    auto heads = g.run_method("heads", x).toTuple();
    mixed = heads->elements()[0].toTensor();
    EXPECT_EQ(heads->elements()[1].toTensor().scalar_type(), torch::kBFloat16);
  }
  full = g.run_method("heads", x).toTuple()->elements()[0].toTensor();
  EXPECT_EQ(mixed.scalar_type(), torch::kBFloat16);
  EXPECT_EQ(full.scalar_type(), torch::kFloat);
  // The same function, computed with bfloat16's 8-bit mantissa.
  const double diff = (mixed.to(torch::kFloat) - full).abs().max().item<double>();
  EXPECT_GT(diff, 0.0);
  EXPECT_LT(diff, 0.1);
  // Gradients reach the float32 weights through the bfloat16 graph.
  torch::Tensor logits;
  {
    ct::AutocastScope scope(ct::Precision::Bfloat16, kCpu);
    auto heads = g.run_method("heads", x).toTuple();
    mixed = heads->elements()[0].toTensor();
    logits = heads->elements()[1].toTensor();
  }
  (mixed.to(torch::kFloat).abs().mean() + logits.to(torch::kFloat).abs().mean()).backward();
  for (const auto &p : g.parameters()) {
    EXPECT_EQ(p.scalar_type(), torch::kFloat);
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(p.grad().scalar_type(), torch::kFloat);
  }
}

TEST(TrainerPrecision, Bfloat16TrainingLearnsAsFloat32DoesKeepsFloat32WeightsAndTakesOtherSteps) {
  TempDir data, mixed_out, full_out;
  // As the trainer's own tests lay them out (the split depends on the paths).
  fs::create_directories(fs::path(data.path()) / "sub");
  int i = 0;
  for (const char *name : colorize::testing::kTrainPhotos)
    fs::copy_file(data_path(name), fs::path(data.path()) / (i++ % 2 ? "sub" : "") / name);
  auto o = colorize::testing::tiny_options(data.path(), mixed_out.path());
  o.epochs = o.pretrain_epochs = 8;
  o.lr = 2e-3;
  o.precision = ct::Precision::Bfloat16;
  const auto mixed = ct::run_training(o);
  const auto &h = mixed.state.history;
  ASSERT_EQ(h.size(), 8u);
  EXPECT_EQ(mixed.state.options.precision, ct::Precision::Bfloat16);

  o.out_dir = full_out.path();
  o.precision = ct::Precision::Float32;
  const auto full = ct::run_training(o);
  const auto &hf = full.state.history;
  const double f = hf.back().g_l1, m = h.back().g_l1;
  std::printf("L1 over 8 epochs: float32 %.4f -> %.4f, bfloat16 %.4f -> %.4f\n", hf.front().g_l1, f, h.front().g_l1, m);
  EXPECT_LT(f, 0.9 * hf.front().g_l1);
  EXPECT_LT(m, 0.9 * h.front().g_l1);
  EXPECT_NEAR(m, f, 0.1 * f);
  const auto a = ct::load_generator(ct::checkpoint_dir(mixed_out.path(), 1));
  const auto b = ct::load_generator(ct::checkpoint_dir(full_out.path(), 1));
  double most = 0;
  auto pb = b.named_parameters();
  auto it = pb.begin();
  for (const auto &p : a.named_parameters()) {
    EXPECT_EQ(p.value.scalar_type(), torch::kFloat) << p.name;
    most = std::max(most, (p.value - (*it).value).abs().max().item<double>());
    ++it;
  }
  EXPECT_GT(most, 0.0) << "the bfloat16 run took the same steps as the float32 one";
}
