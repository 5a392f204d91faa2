// Model loading (errors, device choice, load-time checks), the raw forward
// call, and files exported from Python.
#include <sys/wait.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <ATen/Parallel.h>
#include <glib.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/script.h>

#include "colorize/error.h"
#include "colorize/model.h"
#include "colorize/torch_device.h"
#include "nets.h"
#include "support.h"

namespace {

namespace nets = colorize::nets;
using colorize::Device;
using colorize::DeviceError;
using colorize::ImageError;
using colorize::LoadOptions;
using colorize::Model;
using colorize::ModelError;
using colorize::ModelInfo;
using colorize::testing::TempDir;
using colorize::testing::info_for;
using colorize::testing::save_module;
using colorize::testing::scripted_module;
using colorize::testing::tiny_unet;
using colorize::testing::write_model;

LoadOptions cpu() {
  LoadOptions options;
  options.device = Device::Cpu;
  return options;
}

/// The ModelError message Model::load() throws, or "" when it loads.
std::string load_error(const std::string &path) {
  try {
    Model::load(path, cpu());
  } catch (const ModelError &e) {
    return e.what();
  }
  return "";
}

bool starts_with(const std::string &text, const std::string &prefix) {
  return text.rfind(prefix, 0) == 0;
}

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "message: " << (text)

cv::Mat ramp(int rows, int cols) {
  cv::Mat x(rows, cols, CV_32FC1);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) x.at<float>(r, c) = std::sin(0.1f * r + 0.2f * c);
  return x;
}

torch::Tensor to_tensor(const cv::Mat &x) {
  return torch::from_blob(const_cast<float *>(x.ptr<float>()), {1, 1, x.rows, x.cols})
      .clone();
}

TEST(Model, LoadsAFileFromTheBuilder) {
  TempDir dir;
  ModelInfo info = info_for(tiny_unet(2));
  info.name = "tiny";
  const std::string path = write_model(dir.file("m.pt"), tiny_unet(2), info);

  const Model model = Model::load(path, cpu());
  EXPECT_EQ(model.path(), path);
  EXPECT_EQ(model.device_name(), "cpu");
  EXPECT_EQ(model.info().name, "tiny");
  EXPECT_EQ(model.info().size_multiple, 8);
  EXPECT_EQ(model.info().color_space, colorize::ColorSpace::Lab);
}

TEST(Model, ForwardMatchesTheTorchScriptModuleInHwcLayout) {
  TempDir dir;
  const std::string path = write_model(dir.file("m.pt"), tiny_unet(3), info_for(tiny_unet(3)));
  const Model model = Model::load(path, cpu());

  const cv::Mat x = ramp(16, 24);
  const cv::Mat y = model.forward(x);
  ASSERT_EQ(y.type(), CV_32FC3);
  ASSERT_EQ(y.size(), x.size());

  auto module = torch::jit::load(path);
  module.eval();
  torch::NoGradGuard no_grad;
  const auto expected = module.forward({to_tensor(x)}).toTensor();
  double max_diff = 0;
  for (int r = 0; r < y.rows; ++r)
    for (int c = 0; c < y.cols; ++c)
      for (int k = 0; k < 3; ++k)
        max_diff = std::max<double>(
            max_diff, std::abs(y.at<cv::Vec3f>(r, c)[k] - expected[0][k][r][c].item<float>()));
  EXPECT_LT(max_diff, 1e-6);
  // Eval mode: no dropout, same result twice.
  EXPECT_EQ(cv::norm(y, model.forward(x), cv::NORM_INF), 0.0);
}

TEST(Model, ForwardAcceptsRoiAndLeavesInputAlone) {
  TempDir dir;
  const Model model = Model::load(
      write_model(dir.file("m.pt"), tiny_unet(2), info_for(tiny_unet(2))), cpu());
  const cv::Mat big = ramp(40, 40);
  const cv::Mat roi = big(cv::Rect(3, 5, 16, 8));
  ASSERT_FALSE(roi.isContinuous());
  const cv::Mat before = big.clone();
  const cv::Mat y = model.forward(roi);
  EXPECT_EQ(cv::norm(y, model.forward(roi.clone()), cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(big, before, cv::NORM_INF), 0.0);
}

TEST(Model, ForwardValidatesItsInput) {
  TempDir dir;
  const Model model = Model::load(
      write_model(dir.file("m.pt"), tiny_unet(2), info_for(tiny_unet(2))), cpu());
  EXPECT_THROW(model.forward(cv::Mat(8, 8, CV_8UC1, cv::Scalar(0))), ImageError);
  EXPECT_THROW(model.forward(cv::Mat(8, 8, CV_32FC2, cv::Scalar(0))), ImageError);
  EXPECT_THROW(model.forward(cv::Mat(8, 12, CV_32FC1, cv::Scalar(0))), ImageError);
  EXPECT_THROW(model.forward(cv::Mat()), ImageError);
}

TEST(Model, MissingFile) {
  TempDir dir;
  const std::string path = dir.file("nothing.pt");
  EXPECT_EQ(load_error(path), path + ": no such file");
  EXPECT_EQ(load_error(dir.path()), dir.path() + ": not a regular file");
}

TEST(Model, GarbageBytes) {
  TempDir dir;
  const std::string path = dir.file("garbage.pt");
  std::ofstream(path) << "this is not a zip archive\n" << std::string(1000, '\x17');
  const std::string message = load_error(path);
  EXPECT_TRUE(starts_with(message, path + ": not a TorchScript model file (")) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "no backtrace: " << message;
}

TEST(Model, TruncatedArchive) {
  TempDir dir;
  const std::string path =
      write_model(dir.file("m.pt"), tiny_unet(2), info_for(tiny_unet(2)));
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size / 2);
  EXPECT_TRUE(starts_with(load_error(path), path + ": not a TorchScript model file ("))
      << load_error(path);
}

TEST(Model, ArchiveWithoutMetadata) {
  TempDir dir;
  const std::string path = save_module(dir.file("bare.pt"), nets::build_unet(tiny_unet(2)), nullptr);
  const std::string message = load_error(path);
  EXPECT_TRUE(starts_with(message, path + ": ")) << message;
  EXPECT_CONTAINS(message, "no colorize.json");
  EXPECT_CONTAINS(message, "models/README.md");
}

TEST(Model, InvalidMetadataNamesFileAndKey) {
  TempDir dir;
  const std::string path = save_module(
      dir.file("m.pt"), nets::build_unet(tiny_unet(2)),
      R"({"format_version": 1, "color_space": "lab", "size_multiple": 8})");
  EXPECT_EQ(load_error(path), path + ": colorize.json: required key \"input_size\" is missing");
}

TEST(Model, WrongOutputChannels) {
  TempDir dir;
  ModelInfo lab = info_for(tiny_unet(3));
  lab.color_space = colorize::ColorSpace::Lab;
  const std::string path = write_model(dir.file("m.pt"), tiny_unet(3), lab);
  EXPECT_EQ(load_error(path),
            path + ": forward() returns 3 channels but color_space \"lab\" needs 2");
}

TEST(Model, WrongOutputShape) {
  TempDir dir;
  const std::string json = colorize::serialize_model_info(info_for(tiny_unet(2)));
  const std::string cropped = save_module(
      dir.file("crop.pt"), scripted_module("torch.cat([x, x], 1)[:, :, 1:, :]"), json.c_str());
  EXPECT_EQ(load_error(cropped), cropped + ": forward() returns shape [1, 2, 7, 8] for an "
                                           "input of shape [1, 1, 8, 8]; expected [1, 2, 8, 8]");
  const std::string tuple =
      save_module(dir.file("tuple.pt"), scripted_module("(x, x)"), json.c_str());
  EXPECT_TRUE(starts_with(load_error(tuple), tuple + ": forward() returns Tuple instead of a tensor"))
      << load_error(tuple);
}

TEST(Model, NonFiniteOutputAtLoadIsRefused) {
  TempDir dir;
  const std::string json = colorize::serialize_model_info(info_for(tiny_unet(2)));
  const std::string path = save_module(
      dir.file("nan.pt"), scripted_module("torch.cat([x, x], 1) * float('nan')"), json.c_str());
  EXPECT_EQ(load_error(path), path + ": the model produced non-finite values (NaN or Inf) for an "
                                     "input of shape [1, 1, 8, 8]; the file may be damaged or "
                                     "the network broken");
}

// Without the check at load, the first forward() reports what load() would
// have, at that forward's shape; nothing is run at load.
TEST(Model, UncheckedLoadLeavesTheCheckToForward) {
  TempDir dir;
  const std::string json = colorize::serialize_model_info(info_for(tiny_unet(2)));
  const std::string cropped = save_module(
      dir.file("crop.pt"), scripted_module("torch.cat([x, x], 1)[:, :, 1:, :]"), json.c_str());
  ASSERT_NE(load_error(cropped), "");
  LoadOptions unchecked = cpu();
  unchecked.check_at_load = false;
  const Model model = Model::load(cropped, unchecked);
  try {
    model.forward(cv::Mat(16, 24, CV_32FC1, cv::Scalar(0.f)));
    ADD_FAILURE() << "forward() accepted a cropped output";
  } catch (const ModelError &e) {
    EXPECT_EQ(std::string(e.what()), cropped + ": forward() returns shape [1, 2, 15, 24] for an "
                                               "input of shape [1, 1, 16, 24]; expected [1, 2, 16, 24]");
  }
  const std::string nan = save_module(
      dir.file("nan.pt"), scripted_module("torch.cat([x, x], 1) * float('nan')"), json.c_str());
  ASSERT_NE(load_error(nan), "");
  EXPECT_NO_THROW(Model::load(nan, unchecked));
}

// In the background: the metadata at once, the network's errors from
// wait() and from the calls that need the network, as load() gives them.
TEST(Model, BackgroundLoadGivesInfoAtOnceAndTheLoadsErrorsLater) {
  TempDir dir;
  const std::string good = write_model(dir.file("m.pt"), tiny_unet(2), info_for(tiny_unet(2)));
  const Model model = Model::load_in_background(good, cpu());
  EXPECT_EQ(colorize::serialize_model_info(model.info()),
            colorize::serialize_model_info(Model::load(good, cpu()).info()));
  EXPECT_EQ(model.path(), good);
  EXPECT_NO_THROW(model.wait());
  EXPECT_EQ(model.device_name(), "cpu");
  const cv::Mat x(16, 24, CV_32FC1, cv::Scalar(0.25f));
  EXPECT_EQ(cv::norm(model.forward(x), Model::load(good, cpu()).forward(x), cv::NORM_INF), 0.0);

  EXPECT_THROW(Model::load_in_background(dir.file("missing.pt")), ModelError);  // at once
  const std::string json = colorize::serialize_model_info(info_for(tiny_unet(2)));
  const std::string cropped = save_module(
      dir.file("crop.pt"), scripted_module("torch.cat([x, x], 1)[:, :, 1:, :]"), json.c_str());
  const Model broken = Model::load_in_background(cropped, cpu());
  EXPECT_EQ(broken.info().size_multiple, info_for(tiny_unet(2)).size_multiple);
  for (int i = 0; i < 2; ++i) {  // every call gives the same error
    try {
      broken.wait();
      ADD_FAILURE() << "wait() accepted a cropped output";
    } catch (const ModelError &e) {
      EXPECT_EQ(std::string(e.what()), load_error(cropped));
    }
  }
  EXPECT_THROW(broken.forward(x), ModelError);
  EXPECT_THROW(broken.device_name(), ModelError);
}

TEST(Model, HostileMetadataIsRefusedWithoutCrashing) {
  TempDir dir;
  const auto net = nets::build_unet(tiny_unet(2));
  // json-glib recurses once per level: 100,000 levels would overflow the stack.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string nested = save_module(dir.file("deep.pt"), net, deep.c_str());
  EXPECT_EQ(load_error(nested), nested + ": colorize.json: nesting of arrays and objects is "
                                         "deeper than the limit of 64 levels");

  // Valid JSON of 2 MiB: only its size is wrong.
  const std::string json = R"({"format_version": 1, "color_space": "lab", "input_size": 8,
      "size_multiple": 8, "description": ")" + std::string(2 << 20, 'x') + "\"}";
  const std::string big = save_module(dir.file("big.pt"), net, json.c_str());
  EXPECT_TRUE(starts_with(load_error(big), big + ": colorize.json: too large: 2097"))
      << load_error(big);
}

TEST(Model, ForwardThatFailsAtTheDeclaredSizeMultiple) {
  TempDir dir;
  auto config = tiny_unet(2);
  config.depth = 4;  // needs multiples of 16
  ModelInfo info = info_for(config);
  info.size_multiple = 8;
  const std::string path = write_model(dir.file("m.pt"), config, info);
  const std::string message = load_error(path);
  EXPECT_TRUE(starts_with(message, path + ": forward() failed on an input of shape [1, 1, 8, 8]: "))
      << message;
}

TEST(Model, HalfPrecisionFileLoadsAsFloat) {
  TempDir dir;
  torch::manual_seed(11);
  auto net = nets::build_unet(tiny_unet(2));
  net.eval();
  const cv::Mat x = ramp(8, 16);
  torch::Tensor expected;
  {
    torch::NoGradGuard no_grad;
    expected = net.forward({to_tensor(x)}).toTensor();
  }
  net.to(torch::kHalf);
  const std::string json = colorize::serialize_model_info(info_for(tiny_unet(2)));
  const Model model = Model::load(save_module(dir.file("half.pt"), net, json.c_str()), cpu());
  const cv::Mat y = model.forward(x);
  ASSERT_EQ(y.type(), CV_32FC2);
  EXPECT_NEAR(y.at<cv::Vec2f>(3, 5)[1], expected[0][1][3][5].item<float>(), 2e-3);
}

TEST(Model, IntegerBuffersKeepTheirType) {
  // Like batch norm's num_batches_tracked: must stay int64 while floating
  // parameters become float32. The module reports what it sees through the
  // channel count its forward returns.
  TempDir dir;
  torch::jit::Module m("__torch__.CountingModel");
  m.register_attribute("training", c10::BoolType::get(), false);
  m.register_buffer("count", torch::zeros({1}, torch::kLong));
  m.register_parameter("scale", torch::ones({1}, torch::kDouble), false);
  m.define(R"(
def forward(self, x):
    if not self.count.is_floating_point() and self.scale.element_size() == 4:
        return torch.cat([x, x], 1) * self.scale
    return x
)");
  const std::string json = colorize::serialize_model_info(info_for(tiny_unet(2)));
  const std::string path = save_module(dir.file("m.pt"), m, json.c_str());
  EXPECT_EQ(load_error(path), "");
}

TEST(Model, ThreadCountIsTheCallersChoiceAndLoadingLeavesItAlone) {
  TempDir dir;
  const std::string path = write_model(dir.file("m.pt"), tiny_unet(2), info_for(tiny_unet(2)));
  colorize::set_cpu_threads(1);
  EXPECT_EQ(at::get_num_threads(), 1);
  EXPECT_EQ(cv::getNumThreads(), 1);
  Model::load(path, cpu());
  EXPECT_EQ(at::get_num_threads(), 1);
  colorize::set_cpu_threads(0);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(at::get_num_threads(), cores);
  EXPECT_EQ(cv::getNumThreads(), cores);
  for (int absurd : {colorize::kMaxThreads + 1, -1}) {
    EXPECT_THROW(colorize::set_cpu_threads(absurd), colorize::Error) << absurd;
    EXPECT_EQ(at::get_num_threads(), cores) << absurd;
  }
}

TEST(Model, DeviceChoice) {
  TempDir dir;
  const std::string path = write_model(dir.file("m.pt"), tiny_unet(2), info_for(tiny_unet(2)));
  LoadOptions options;
  options.device = Device::Auto;
  const Model model = Model::load(path, options);
  if (torch::cuda::is_available()) {
    EXPECT_EQ(model.device_name(), "cuda:0");
    options.device = Device::Cuda;
    EXPECT_EQ(Model::load(path, options).device_name(), "cuda:0");
    return;
  }
  EXPECT_EQ(model.device_name(), "cpu");
  options.device = Device::Cuda;
  try {
    Model::load(path, options);
    ADD_FAILURE() << "cuda without CUDA loaded";
  } catch (const DeviceError &e) {
    const std::string why = c10::impl::hasDeviceGuardImpl(c10::DeviceType::CUDA)
                                ? "no CUDA device found"
                                : "LibTorch was built without CUDA";
    EXPECT_CONTAINS(e.what(), why);
  }
}

// The one device rule that Model::load and the trainer share.
TEST(Model, TorchDeviceRule) {
  EXPECT_EQ(colorize::torch_device(Device::Cpu, 3), c10::Device(c10::kCPU));
  if (!torch::cuda::is_available()) {
    EXPECT_EQ(colorize::torch_device(Device::Auto, 3), c10::Device(c10::kCPU));
    EXPECT_THROW(colorize::torch_device(Device::Cuda, 0), DeviceError);
    return;
  }
  const int count = static_cast<int>(torch::cuda::device_count());
  EXPECT_EQ(colorize::torch_device(Device::Auto, count - 1), c10::Device(c10::kCUDA, count - 1));
  for (Device d : {Device::Auto, Device::Cuda}) {
    try {
      colorize::torch_device(d, count);
      ADD_FAILURE() << "CUDA device " << count << " of " << count;
    } catch (const DeviceError &e) {
      EXPECT_CONTAINS(e.what(), "this machine has " + std::to_string(count));
    }
  }
}

TEST(Model, DeviceNames) {
  EXPECT_EQ(colorize::parse_device("auto"), Device::Auto);
  EXPECT_EQ(colorize::parse_device("cpu"), Device::Cpu);
  EXPECT_EQ(colorize::parse_device("cuda"), Device::Cuda);
  EXPECT_STREQ(colorize::to_string(Device::Cuda), "cuda");
  try {
    colorize::parse_device("gpu");
    ADD_FAILURE() << "gpu accepted";
  } catch (const colorize::Error &e) {
    EXPECT_CONTAINS(e.what(), "\"gpu\"");
  }
}

/// Runs argv; returns true when it exits with status 0, else false with the
/// end of its stderr in `why`.
bool run_command(const std::vector<std::string> &args, std::string *why) {
  std::vector<char *> argv;
  for (const auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  gchar *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  const gboolean spawned =
      g_spawn_sync(nullptr, argv.data(), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
                   nullptr, &err, &status, &error);
  if (!spawned) {
    *why = error->message;
    g_error_free(error);
    return false;
  }
  std::string text = err ? err : "";
  g_free(err);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const auto line = text.rfind('\n');
  *why = line == std::string::npos ? text : text.substr(line + 1);
  return false;
}

TEST(Model, PythonExportedFileLoadsAndGivesPythonsOutput) {
  const char *env = g_getenv("COLORIZE_PYTHON");
  const std::string python = env && *env ? env : "python3";
  std::string why;
  if (!run_command({python, "-c", "import torch"}, &why))
    GTEST_SKIP() << "python3-torch not available: " << python << ": " << why;

  TempDir dir;
  const std::string script = colorize::testing::data_path("../make_python_model.py");
  ASSERT_TRUE(run_command({python, script, dir.path()}, &why)) << why;

  const Model model = Model::load(dir.file("python-model.pt"), cpu());
  EXPECT_EQ(model.info().name, "tiny python test model");
  EXPECT_EQ(model.info().size_multiple, 4);
  EXPECT_EQ(model.info().architecture_json, R"({"type":"TinyColorizer"})");

  const cv::Mat y = model.forward(ramp(16, 24));  // the script's input
  ASSERT_EQ(y.type(), CV_32FC2);
  std::ifstream in(dir.file("python-output.txt"));
  std::vector<float> expected;
  for (float v; in >> v;) expected.push_back(v);
  ASSERT_EQ(expected.size(), 2u * 16 * 24);
  double max_diff = 0;
  for (int k = 0; k < 2; ++k)
    for (int r = 0; r < 16; ++r)
      for (int c = 0; c < 24; ++c)
        max_diff = std::max<double>(
            max_diff, std::abs(y.at<cv::Vec2f>(r, c)[k] - expected[(k * 16 + r) * 24 + c]));
  EXPECT_LT(max_diff, 1e-5);
}

}  // namespace
