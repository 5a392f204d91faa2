// The CUDA path: the shipped model on the GPU against the CPU, and a short
// training run on the GPU. Needs a CUDA build of LibTorch (-Dcuda=enabled)
// and an NVIDIA GPU; without either the program says which is missing and
// exits with 77, which meson reports as SKIP.
#include <gtest/gtest.h>

#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/cuda.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "colorize/model.h"
#include "colorize/pipeline.h"
#include "support.h"
#include "train.h"
#include "trainer_fixtures.h"

namespace fs = std::filesystem;
namespace ct = colorize::train;
using colorize::Device;
using colorize::LoadOptions;
using colorize::Model;
using colorize::testing::data_path;
using colorize::testing::TempDir;

namespace {

/// Why the GPU tests cannot run here; empty when they can.
std::string missing_gpu() {
  if (!c10::impl::hasDeviceGuardImpl(c10::DeviceType::CUDA))
    return "LibTorch was built without CUDA (configure with -Dcuda=enabled against a CUDA LibTorch)";
  if (!torch::cuda::is_available()) return "LibTorch has CUDA but finds no CUDA device (driver, GPU)";
  return {};
}

Model load_default(Device device) {
  LoadOptions options;
  options.device = device;
  return Model::load(data_path("../../models/colorize-default.pt"), options);
}

}  // namespace

TEST(Gpu, AutoChoosesTheGpu) {
  EXPECT_EQ(load_default(Device::Auto).device_name(), "cuda:0");
  EXPECT_EQ(load_default(Device::Cuda).device_name(), "cuda:0");
}

// The same photo through the whole pipeline on both devices: the colours may
// differ by float rounding (cuDNN picks its own algorithms), nothing more.
TEST(Gpu, ColorizesAsTheCpuDoes) {
  const cv::Mat gray = cv::imread(data_path("chelsea-bw.jpg"), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(gray.empty());
  const cv::Mat on_cpu = colorize::colorize_image(load_default(Device::Cpu), gray);
  const cv::Mat on_gpu = colorize::colorize_image(load_default(Device::Cuda), gray);
  ASSERT_EQ(on_cpu.size(), on_gpu.size());
  ASSERT_EQ(on_cpu.type(), on_gpu.type());
  cv::Mat diff;
  cv::absdiff(on_cpu, on_gpu, diff);
  double worst = 0;
  cv::minMaxLoc(diff.reshape(1), nullptr, &worst);
  const cv::Scalar mean = cv::mean(diff);
  EXPECT_LE(worst, 6.0);
  for (int c = 0; c < 3; ++c) EXPECT_LE(mean[c], 0.5) << "channel " << c;
  EXPECT_GT(cv::norm(on_gpu, cv::NORM_L1), 0.0);
}

// A few steps of the default recipe on the GPU; the exported model loads and
// runs on the CPU.
TEST(Gpu, TrainsAndExportsAModelTheCpuRuns) {
  TempDir data, out;
  fs::create_directories(data.path());
  for (const char *name : colorize::testing::kTrainPhotos) fs::copy_file(data_path(name), data.file(name));
  ct::TrainOptions o = colorize::testing::tiny_options(data.path(), out.path());
  o.device = "cuda";
  o.epochs = o.pretrain_epochs = 4;
  o.lr = 2e-3;
  const ct::TrainResult result = ct::run_training(o);
  const auto &h = result.state.history;
  ASSERT_EQ(h.size(), 4u);
  for (const auto &epoch : h) EXPECT_TRUE(std::isfinite(epoch.g_l1));
  EXPECT_LT(h.back().g_l1, h.front().g_l1);
  LoadOptions cpu;
  cpu.device = Device::Cpu;
  const Model model = Model::load(result.model_path, cpu);
  const cv::Mat photo = cv::imread(data_path("china-bw.jpg"), cv::IMREAD_UNCHANGED);
  const cv::Mat colour = colorize::colorize_image(model, photo);
  EXPECT_EQ(colour.size(), photo.size());
}

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const std::string why = missing_gpu();
  if (!why.empty()) {
    std::printf("SKIP: %s\n", why.c_str());
    return 77;
  }
  return RUN_ALL_TESTS();
}
