// Stride-2 transposed convolutions computed as four ordinary ones
// (core/transposed_conv.h): the same results as aten::conv_transpose2d,
// only for the calls and weights the rewrite suits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>

#include <opencv2/core.hpp>

#include "colorize/model.h"
#include "nets.h"
#include "support.h"
#include "transposed_conv.h"

using colorize::detail::split_transposed_convolutions;
using colorize::testing::info_for;
using colorize::testing::TempDir;
using colorize::testing::write_model;

namespace {

/// A module with one weight [in, out, 4, 4] and a bias, whose forward is
/// `body` (over x, s and the attributes); with `alias`, also a buffer
/// "alias" that is the weight tensor itself.
torch::jit::Module module_with(int64_t in, int64_t out, const std::string &body, bool alias = false) {
  torch::jit::Module m("__torch__.Up");
  m.register_attribute("training", c10::BoolType::get(), false);
  m.register_parameter("weight", torch::randn({in, out, 4, 4}) * 0.1, false);
  m.register_parameter("bias", torch::randn({out}), false);
  if (alias) m.register_buffer("alias", m.attr("weight").toTensor());
  m.define("def forward(self, x, s: int):\n    return " + body + "\n");
  return m;
}

const char *const kStrideTwo =
    "torch.conv_transpose2d(x, self.weight, self.bias, [2, 2], [1, 1], [0, 0], 1, [1, 1])";
// Stride and output padding known only at run time, as nn.ConvTranspose2d
// computes its output padding.
const char *const kStrideAtRunTime =
    "torch.conv_transpose2d(x, self.weight, self.bias, [s, s], [1, 1], [s - 2, 0], 1, [1, 1])";

torch::Tensor run(torch::jit::Module &m, const torch::Tensor &x, int64_t s = 2) {
  c10::InferenceMode guard;
  return m.forward({x, s}).toTensor();
}

bool calls(torch::jit::Module &m, const char *kind) {
  for (const torch::jit::Node *node : m.get_method("forward").graph()->nodes())
    if (node->kind() == c10::Symbol::fromQualString(kind)) return true;
  return false;
}

double largest_difference(const torch::Tensor &a, const torch::Tensor &b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a - b).abs().max().item<double>();
}

}  // namespace

TEST(TransposedConv, SplitGivesTheTransposedConvolution) {
  torch::manual_seed(3);
  torch::jit::Module m = module_with(24, 16, kStrideTwo);
  torch::jit::Module reference = m.clone();
  ASSERT_EQ(split_transposed_convolutions(m), 1);
  EXPECT_TRUE(calls(m, "colorize::conv_transpose2d_phases"));
  EXPECT_FALSE(calls(m, "aten::conv_transpose2d"));
  // The weight now holds the four 2x2 phase kernels.
  EXPECT_EQ(m.attr("weight").toTensor().sizes(), (at::IntArrayRef{2, 2, 16, 24, 2, 2}));
  for (const std::vector<int64_t> &shape : {std::vector<int64_t>{1, 24, 5, 7}, {1, 24, 1, 1}, {2, 24, 8, 3}}) {
    const torch::Tensor x = torch::randn(shape);
    const torch::Tensor want = run(reference, x), got = run(m, x);
    EXPECT_EQ(got.size(2), 2 * x.size(2));
    EXPECT_LT(largest_difference(got, want), 1e-4 * want.abs().max().item<double>()) << shape;
  }
}

// The weight's memory is reordered in place unless another tensor of the
// module uses it too.
TEST(TransposedConv, TensorsSharingTheWeightsMemoryKeepTheirValues) {
  torch::manual_seed(6);
  torch::jit::Module m = module_with(24, 16, std::string(kStrideTwo) + " + self.alias.sum()", true);
  torch::jit::Module reference = m.clone();
  const torch::Tensor before = m.attr("alias").toTensor().clone();
  ASSERT_EQ(split_transposed_convolutions(m), 1);
  EXPECT_TRUE(torch::equal(m.attr("alias").toTensor(), before));
  const torch::Tensor x = torch::randn({1, 24, 4, 5});
  const torch::Tensor want = run(reference, x);
  EXPECT_LT(largest_difference(run(m, x), want), 1e-4 * want.abs().max().item<double>());
}

TEST(TransposedConv, ArgumentsKnownOnlyAtRunTimeAreCheckedAtEachCall) {
  torch::manual_seed(4);
  torch::jit::Module m = module_with(32, 16, kStrideAtRunTime);
  torch::jit::Module reference = m.clone();
  ASSERT_EQ(split_transposed_convolutions(m), 1);
  const torch::Tensor x = torch::randn({1, 32, 6, 4});
  // Stride 2: the split form. Stride 3 (output padding 1): the transposed
  // convolution with the weight put back together.
  for (int64_t s : {2, 3}) {
    const torch::Tensor want = run(reference, x, s), got = run(m, x, s);
    EXPECT_LT(largest_difference(got, want), 1e-4 * want.abs().max().item<double>()) << "stride " << s;
  }
}

TEST(TransposedConv, LeavesCallsAndWeightsItDoesNotSuitAlone) {
  torch::manual_seed(5);
  struct Case {
    const char *what;
    int64_t in, out;
    std::string body;
  };
  const Case cases[] = {
      {"weight read elsewhere too", 24, 16, std::string(kStrideTwo) + " + self.weight.sum()"},
      {"constant stride 1", 24, 16,
       "torch.conv_transpose2d(x, self.weight, self.bias, [1, 1], [1, 1], [0, 0], 1, [1, 1])"},
      {"8 output channels", 24, 8, kStrideTwo},
      {"weights over the limit", colorize::detail::kMaxSplitWeights / (16 * 16) + 1, 16, kStrideTwo},
  };
  for (const Case &c : cases) {
    torch::jit::Module m = module_with(c.in, c.out, c.body);
    torch::jit::Module reference = m.clone();
    EXPECT_EQ(split_transposed_convolutions(m), 0) << c.what;
    EXPECT_TRUE(calls(m, "aten::conv_transpose2d")) << c.what;
    const torch::Tensor x = torch::randn({1, c.in, 3, 2});
    EXPECT_TRUE(torch::equal(run(m, x), run(reference, x))) << c.what;
  }
}

// Through Model::load, on a U-Net of the trainer: split and not split give
// the same colours, and the split one ran the split form where it is the
// faster one.
TEST(TransposedConv, ModelLoadSplitsAUNetsDecoder) {
  colorize::nets::UNetConfig config;
  config.depth = 3;
  config.width = 16;  // decoder layers of 64 -> 32 -> 16 -> 2 channels
  TempDir dir;
  const std::string path = write_model(dir.file("unet.pt"), config, info_for(config));
  colorize::LoadOptions options;
  options.device = colorize::Device::Cpu;
  const colorize::Model split = colorize::Model::load(path, options);
  options.split_transposed_convolutions = false;
  const colorize::Model whole = colorize::Model::load(path, options);

  const int m = split.info().size_multiple;
  cv::Mat x(2 * m, 3 * m, CV_32FC1);
  cv::randu(x, -1.0, 1.0);
  const cv::Mat a = split.forward(x);
  bool ran_split = false;
  for (const torch::jit::Node *node : torch::jit::lastExecutedOptimizedGraph()->nodes())
    ran_split = ran_split || node->kind() == c10::Symbol::fromQualString("colorize::conv_transpose2d_phases");
  EXPECT_EQ(ran_split, colorize::detail::split_is_faster());
  const cv::Mat b = whole.forward(x);
  EXPECT_LT(cv::norm(a, b, cv::NORM_INF), 1e-5);
  EXPECT_GT(cv::norm(a, cv::NORM_INF), 0.01);
}
