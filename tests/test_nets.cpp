// The C++ network builder: shapes, train/eval behaviour, parameter counts,
// initialisation, and saving/loading as TorchScript.
#include <cmath>

#include <gtest/gtest.h>
#include <torch/script.h>

#include "colorize/metadata.h"
#include "nets.h"
#include "support.h"

namespace {

namespace nets = colorize::nets;
using colorize::testing::TempDir;
using colorize::testing::tiny_unet;

torch::Tensor run(torch::jit::Module &m, const torch::Tensor &x) {
  torch::NoGradGuard no_grad;
  return m.forward({x}).toTensor();
}

int64_t parameter_count(const torch::jit::Module &m) {
  int64_t n = 0;
  for (const auto &p : m.parameters()) n += p.numel();
  return n;
}

TEST(Nets, SizeMultipleIsTwoToTheDepth) {
  nets::UNetConfig config;
  EXPECT_EQ(nets::unet_size_multiple(config), 256);
  config.depth = 3;
  EXPECT_EQ(nets::unet_size_multiple(config), 8);
}

TEST(Nets, UNetOutputShapeAndTanhRange) {
  torch::manual_seed(1);
  auto net = nets::build_unet(tiny_unet(2));
  net.eval();
  const auto y = run(net, torch::randn({2, 1, 16, 24}) * 3);
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 2, 16, 24}));
  EXPECT_LE(y.abs().max().item<float>(), 1.0f);
  EXPECT_GT(y.abs().max().item<float>(), 0.0f);

  auto rgb = nets::build_unet(tiny_unet(3));
  rgb.eval();
  EXPECT_EQ(run(rgb, torch::randn({1, 1, 8, 8})).sizes(), (std::vector<int64_t>{1, 3, 8, 8}));
}

// Parameter counts worked out by hand for depth 3, width 4 (filters 4, 8,
// 16), 4x4 kernels, batch norm (2 parameters per channel) everywhere except
// the outermost encoder conv, the innermost encoder conv and the output
// conv, which has a bias instead.
TEST(Nets, ParameterCountsMatchTheArchitecture) {
  const int64_t down = 1 * 4 * 16 + (4 * 8 * 16 + 2 * 8) + 8 * 16 * 16;
  const int64_t innermost_up = 16 * 8 * 16 + 2 * 8;
  const int64_t unet = down + innermost_up + (16 * 4 * 16 + 2 * 4) + (8 * 2 * 16 + 2);
  const int64_t plain = down + innermost_up + (8 * 4 * 16 + 2 * 4) + (4 * 2 * 16 + 2);
  auto config = tiny_unet(2);
  EXPECT_EQ(parameter_count(nets::build_unet(config)), unet);
  config.skips = false;
  EXPECT_EQ(parameter_count(nets::build_unet(config)), plain);
}

TEST(Nets, DefaultGeneratorIsThePix2PixSize) {
  // Pix2Pix U-Net (8 levels, 64 filters) with 1 input and 2 output channels.
  const int64_t n = parameter_count(nets::build_unet(nets::UNetConfig{}));
  EXPECT_GT(n, 54'300'000);
  EXPECT_LT(n, 54'500'000);
}

TEST(Nets, AutoencoderHasNoSkipConnections) {
  auto config = tiny_unet(2);
  config.skips = false;
  torch::manual_seed(2);
  auto net = nets::build_unet(config);
  net.eval();
  // Decoder blocks take only the previous block's output: 8 channels into
  // up1 rather than 8 + 8.
  EXPECT_EQ(net.attr("up1").toModule().attr("weight").toTensor().size(0), 8);
  EXPECT_EQ(run(net, torch::randn({1, 1, 16, 16})).sizes(),
            (std::vector<int64_t>{1, 2, 16, 16}));
}

TEST(Nets, EvalDisablesDropoutAndTrainEnablesIt) {
  torch::manual_seed(3);
  auto net = nets::build_unet(tiny_unet(2));
  const auto x = torch::randn({2, 1, 16, 16});

  net.train();
  EXPECT_FALSE(torch::equal(run(net, x), run(net, x)));

  net.eval();
  EXPECT_TRUE(torch::equal(run(net, x), run(net, x)));

  nets::set_training(net, true);
  for (const auto &m : net.modules()) EXPECT_TRUE(m.attr("training").toBool());
  EXPECT_FALSE(torch::equal(run(net, x), run(net, x)));
  nets::set_training(net, false);
  for (const auto &m : net.modules()) EXPECT_FALSE(m.attr("training").toBool());
  EXPECT_TRUE(torch::equal(run(net, x), run(net, x)));
}

TEST(Nets, WithoutDropoutTrainingModeIsDeterministic) {
  auto config = tiny_unet(2);
  config.dropout_blocks = 0;
  torch::manual_seed(4);
  auto net = nets::build_unet(config);
  net.train();
  const auto x = torch::randn({2, 1, 16, 16});
  EXPECT_TRUE(torch::allclose(run(net, x), run(net, x)));
}

TEST(Nets, BatchNormStatisticsUpdateOnlyInTraining) {
  torch::manual_seed(5);
  auto net = nets::build_unet(tiny_unet(2));
  auto down1 = net.attr("down1").toModule();
  const auto before = down1.attr("bn_mean").toTensor().clone();
  const auto x = torch::randn({2, 1, 16, 16}) + 2;

  net.eval();
  run(net, x);
  EXPECT_TRUE(torch::equal(down1.attr("bn_mean").toTensor(), before));

  net.train();
  run(net, x);
  EXPECT_FALSE(torch::equal(down1.attr("bn_mean").toTensor(), before));
}

TEST(Nets, InitialisationFollowsPix2Pix) {
  torch::manual_seed(6);
  nets::UNetConfig config;
  config.depth = 5;
  config.width = 32;
  auto net = nets::build_unet(config);
  std::vector<torch::Tensor> conv, bn_weight, zero;
  for (const auto &p : net.named_parameters()) {
    const std::string name = p.name.substr(p.name.rfind('.') + 1);
    if (name == "weight") conv.push_back(p.value.flatten());
    if (name == "bn_weight") bn_weight.push_back(p.value.flatten());
    if (name == "bias" || name == "bn_bias") zero.push_back(p.value.flatten());
    EXPECT_TRUE(p.value.requires_grad()) << p.name;
  }
  const auto w = torch::cat(conv), g = torch::cat(bn_weight);
  EXPECT_NEAR(w.mean().item<double>(), 0.0, 0.001);
  EXPECT_NEAR(w.std().item<double>(), 0.02, 0.001);
  EXPECT_NEAR(g.mean().item<double>(), 1.0, 0.005);
  EXPECT_NEAR(g.std().item<double>(), 0.02, 0.005);
  EXPECT_EQ(torch::cat(zero).abs().max().item<float>(), 0.0f);
}

TEST(Nets, SavedModuleLoadsAndGivesTheSameOutput) {
  TempDir dir;
  torch::manual_seed(7);
  auto net = nets::build_unet(tiny_unet(2));
  net.eval();
  const auto x = torch::randn({1, 1, 16, 16});
  const auto expected = run(net, x);
  const std::string path = dir.file("net.pt");
  net.save(path);

  auto loaded = torch::jit::load(path);
  EXPECT_FALSE(loaded.attr("training").toBool());
  EXPECT_TRUE(torch::equal(run(loaded, x), expected));
  // The loaded module still switches dropout on in training mode.
  loaded.train();
  EXPECT_FALSE(torch::equal(run(loaded, x), run(loaded, x)));
}

TEST(Nets, ArchitectureJsonIsAValidObject) {
  auto config = tiny_unet(3);
  config.skips = false;
  colorize::ModelInfo info;
  info.architecture_json = nets::to_json(config);
  const auto back = colorize::parse_model_info(colorize::serialize_model_info(info), "test");
  EXPECT_NE(back.architecture_json.find("\"depth\":3"), std::string::npos) << back.architecture_json;
  EXPECT_NE(back.architecture_json.find("\"out_channels\":3"), std::string::npos);
  EXPECT_NE(back.architecture_json.find("\"skips\":false"), std::string::npos);
  EXPECT_NE(back.architecture_json.find("\"dropout\":0.5"), std::string::npos);
}

TEST(Nets, PatchGanOutputShape) {
  torch::manual_seed(8);
  auto d = nets::build_patchgan(nets::PatchGanConfig{});
  d.eval();
  // 256 -> 128 -> 64 -> 32 (3 strided convs) -> 31 -> 30 (two stride-1 4x4).
  EXPECT_EQ(run(d, torch::randn({1, 3, 256, 256})).sizes(),
            (std::vector<int64_t>{1, 1, 30, 30}));

  nets::PatchGanConfig small;
  small.in_channels = 4;
  small.width = 8;
  small.layers = 2;
  auto s = nets::build_patchgan(small);
  s.train();
  // 64 -> 32 -> 16 -> 15 -> 14.
  EXPECT_EQ(run(s, torch::randn({2, 4, 64, 64})).sizes(),
            (std::vector<int64_t>{2, 1, 14, 14}));
}

TEST(Nets, GradientsReachEveryParameter) {
  torch::manual_seed(9);
  auto net = nets::build_unet(tiny_unet(2));
  net.train();
  const auto y = net.forward({torch::randn({2, 1, 16, 16})}).toTensor();
  y.square().mean().backward();
  for (const auto &p : net.named_parameters()) {
    ASSERT_TRUE(p.value.grad().defined()) << p.name;
    EXPECT_GT(p.value.grad().abs().sum().item<double>(), 0.0) << p.name;
  }
}

TEST(Nets, InvalidConfigIsRejected) {
  auto config = tiny_unet(2);
  config.depth = 1;
  EXPECT_THROW(nets::build_unet(config), std::invalid_argument);
  config = tiny_unet(2);
  config.dropout = 1.0;
  EXPECT_THROW(nets::build_unet(config), std::invalid_argument);
}

}  // namespace
