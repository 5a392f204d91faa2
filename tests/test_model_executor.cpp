// Core runs forward() under TorchScript's simple executor unless asked
// otherwise: no re-profiling and re-optimising at every new input shape.
#include <gtest/gtest.h>

#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>

#include <opencv2/core.hpp>

#include "colorize/model.h"
#include "support.h"

using colorize::testing::info_for;
using colorize::testing::TempDir;
using colorize::testing::tiny_unet;
using colorize::testing::write_model;

namespace {

/// Whether a graph LibTorch ran for forward() carried the profiling
/// executor's nodes: right after loading (whose check pass is the first
/// call) and after two calls at each of two more shapes.
bool last_run_was_profiled(const std::string &path, bool per_shape) {
  colorize::LoadOptions options;
  options.device = colorize::Device::Cpu;
  options.optimize_per_shape = per_shape;
  auto profiled = [] {
    const auto graph = torch::jit::lastExecutedOptimizedGraph();
    EXPECT_TRUE(graph != nullptr);
    if (!graph) return false;
    for (const torch::jit::Node *node : graph->nodes())
      for (const char *kind : {"prim::profile", "prim::TypeCheck", "prim::BailOut"})
        if (node->kind() == c10::Symbol::fromQualString(kind)) return true;
    return false;
  };
  colorize::set_cpu_threads(1);
  const colorize::Model model = colorize::Model::load(path, options);
  bool seen = profiled();
  const int m = model.info().size_multiple;
  for (const cv::Size size : {cv::Size(2 * m, m), cv::Size(m, 3 * m)}) {
    const cv::Mat x(size, CV_32FC1, cv::Scalar(0.25));
    model.forward(x);
    seen = seen || profiled();
    model.forward(x);
    seen = seen || profiled();
  }
  return seen;
}

}  // namespace

TEST(ModelExecutor, ForwardIsNotProfiledPerShapeByDefault) {
  TempDir dir;
  const std::string path = write_model(dir.file("m.pt"), tiny_unet(2), info_for(tiny_unet(2)));
  EXPECT_FALSE(last_run_was_profiled(path, false));
  // LibTorch's profiling executor, asked for: its first call profiles.
  if (torch::jit::getExecutorMode() && torch::jit::getGraphExecutorOptimize()) {
    EXPECT_TRUE(last_run_was_profiled(path, true));
  }
}
