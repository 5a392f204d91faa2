// libcolorize-torch's runtime (runtime.h): model loading and the raw
// network call. With mapped_tensors.cpp, model_guard.cpp,
// torch_huge_pages.cpp and transposed_conv.cpp, the only files of core that
// include LibTorch.
#include "colorize/torch_device.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <sstream>
#include <string_view>
#include <vector>

#include <torch/cuda.h>
#include <ATen/Parallel.h>
#include <torch/script.h>

#include "colorize/error.h"
#include "mapped_tensors.h"
#include "model_archive.h"
#include "model_guard.h"
#include "runtime.h"
#include "torch_huge_pages.h"
#include "transposed_conv.h"

namespace colorize {
namespace {

/// First line of a LibTorch error, without the C++ backtrace.
std::string short_reason(const c10::Error &e) {
  std::string text = e.what_without_backtrace();
  const auto end = text.find('\n');
  if (end != std::string::npos) text.resize(end);
  return text;
}

/// How LibTorch reports a failed allocation: c10::OutOfMemoryError (CUDA),
/// the CPU allocator's messages, or either as text when the TorchScript
/// interpreter passes an error on as std::runtime_error.
const char *const kOutOfMemoryTexts[] = {"out of memory", "can't allocate memory",
                                         "not enough memory"};

/// The line of `text` that reports a failed allocation, without the
/// interpreter's "RuntimeError: " and the "[enforce fail at file:line] ...
/// " of a failed check; empty when no line does.
std::string out_of_memory_line(const std::string &text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    for (const char *t : kOutOfMemoryTexts) {
      if (line.find(t) == std::string::npos) continue;
      if (line.rfind("RuntimeError: ", 0) == 0) line.erase(0, 14);
      const size_t check_end = line.find(". ", line.find(']'));
      if (line.rfind("[enforce fail at ", 0) == 0 && check_end != std::string::npos)
        line.erase(0, check_end + 2);
      return line;
    }
    start = end + 1;
  }
  return {};
}

std::string shape_string(const at::IntArrayRef &sizes) {
  std::ostringstream s;
  s << sizes;
  return s.str();
}

std::string not_torchscript(const std::string &path, const std::string &reason) {
  return path + ": not a TorchScript model file (" + reason + ")";
}

torch::jit::Module load_from(std::shared_ptr<detail::ArchiveReader> reader, const std::string &path,
                             torch::jit::ExtraFilesMap &extra) {
  try {
    // Load on the CPU; the module is moved to its device afterwards, so an
    // archive saved from a GPU loads on a CPU-only machine.
    return torch::jit::load(std::move(reader), torch::Device(torch::kCPU), extra);
  } catch (const c10::Error &e) {
    throw ModelError(not_torchscript(path, short_reason(e)));
  } catch (const std::exception &e) {
    throw ModelError(not_torchscript(path, e.what()));
  }
}

/// LibTorch reads the archive from the bytes model_guard checked, not from
/// the file again; with `map_weights`, its tensors stay in those bytes.
torch::jit::Module load_archive(const std::string &path, detail::Bytes checked, bool map_weights,
                                std::string &metadata) {
  torch::jit::ExtraFilesMap extra{{kMetadataFileName, ""}};
  detail::Bytes again(map_weights ? g_bytes_ref(checked.get()) : nullptr);
  auto reader = std::make_shared<detail::ArchiveReader>(std::move(checked), map_weights);
  torch::jit::Module module = load_from(reader, path, extra);
  if (map_weights && reader->attach(module) < 0)
    module = load_from(std::make_shared<detail::ArchiveReader>(std::move(again), false), path, extra);
  metadata = extra[kMetadataFileName];
  detail::require_metadata(path, metadata);
  if (!module.find_method("forward"))
    throw ModelError(path + ": the TorchScript module has no forward() method");
  detail::check_operators(module, path);
  return module;
}

/// Moves parameters and buffers to `device`. Floating ones become float32
/// (so a file saved in half precision loads too); integer buffers such as
/// batch norm's num_batches_tracked keep their type (Module::to(device,
/// dtype) would convert them as well).
void move_state(torch::jit::Module &module, const torch::Device &device) {
  auto move = [&device](torch::Tensor t) {
    const auto type = t.is_floating_point() ? torch::kFloat : t.scalar_type();
    if (t.device() != device || t.scalar_type() != type)
      t.set_data(t.to(device, type));
  };
  for (const auto &p : module.parameters()) move(p);
  for (const auto &b : module.buffers()) move(b);
}

}  // namespace

namespace {

class TorchNetwork final : public detail::Network {
 public:
  TorchNetwork(torch::jit::Module module, ModelInfo info, std::string path, torch::Device device)
      : module_(std::move(module)), info_(std::move(info)), path_(std::move(path)), device_(device) {}

  const ModelInfo &info() const override { return info_; }
  std::string device_name() const override { return device_.str(); }
  cv::Mat forward(const cv::Mat &x) const override;

  /// Turns an error of LibTorch during a forward pass on an input of
  /// `shape` into OutOfMemory (one line naming the failed allocation) or
  /// ModelError.
  [[noreturn]] void fail(const std::exception &e, const std::string &shape) const {
    const auto *c10_error = dynamic_cast<const c10::Error *>(&e);
    const std::string text = c10_error ? c10_error->what_without_backtrace() : e.what();
    std::string line = out_of_memory_line(text);
    if (line.empty() && (dynamic_cast<const c10::OutOfMemoryError *>(&e) ||
                         dynamic_cast<const std::bad_alloc *>(&e)))
      line = text.substr(0, text.find('\n'));
    if (!line.empty())
      throw OutOfMemory(path_, "the model pass on an input of shape " + shape + ": " + line,
                        e.what());
    throw ModelError(path_ + ": forward() failed on an input of shape " + shape + ": " +
                     (c10_error ? short_reason(*c10_error) : text));
  }

  /// Runs forward() on a [1,C,H,W] float tensor and checks the result is a
  /// [1,C,H,W] floating-point tensor of finite values. Returns it as float32
  /// on the CPU.
  torch::Tensor run(const torch::Tensor &x) const {
    try {
      return run_unguarded(x);
    } catch (const Error &) {
      throw;
    } catch (const std::exception &e) {
      fail(e, shape_string(x.sizes()));
    }
  }

  torch::Tensor run_unguarded(const torch::Tensor &x) const {
    c10::InferenceMode guard;
    const torch::jit::IValue result = module_.forward({x.to(device_)});
    if (!result.isTensor())
      throw ModelError(path_ + ": forward() returns " + result.tagKind() +
                       " instead of a tensor");
    torch::Tensor y = result.toTensor();
    const int channels = info_.output_channels();
    if (y.dim() == 4 && y.size(0) == 1 && y.size(1) != channels)
      throw ModelError(path_ + ": forward() returns " + std::to_string(y.size(1)) +
                       " channels but color_space \"" + to_string(info_.color_space) +
                       "\" needs " + std::to_string(channels));
    if (y.dim() != 4 || y.size(0) != 1 || y.size(2) != x.size(2) || y.size(3) != x.size(3))
      throw ModelError(path_ + ": forward() returns shape " + shape_string(y.sizes()) +
                       " for an input of shape " + shape_string(x.sizes()) +
                       "; expected [1, " + std::to_string(channels) + ", " +
                       std::to_string(x.size(2)) + ", " + std::to_string(x.size(3)) + "]");
    if (!y.is_floating_point())
      throw ModelError(path_ + ": forward() returns a tensor of type " +
                       std::string(c10::toString(y.scalar_type())) +
                       ", not floating point");
    // One pass over the output, on its device: NaN or Inf would otherwise
    // come out as saturated colours.
    if (!torch::isfinite(y).all().item<bool>())
      throw ModelError(path_ + ": the model produced non-finite values (NaN or Inf) for "
                       "an input of shape " + shape_string(x.sizes()) +
                       "; the file may be damaged or the network broken");
    return y.to(torch::kCPU, torch::kFloat);
  }

 private:
  mutable torch::jit::Module module_;  // forward() is not const in LibTorch
  ModelInfo info_;
  std::string path_;
  torch::Device device_;
};

}  // namespace

c10::Device torch_device(Device wanted, int cuda_index) {
  if (wanted == Device::Cpu) return torch::Device(torch::kCPU);
  const bool built_with_cuda = c10::impl::hasDeviceGuardImpl(c10::DeviceType::CUDA);
  if (built_with_cuda && torch::cuda::is_available()) {
    const int count = static_cast<int>(torch::cuda::device_count());
    if (cuda_index < 0 || cuda_index >= count)
      throw DeviceError("cannot use CUDA device " + std::to_string(cuda_index) + ": this machine has " +
                        std::to_string(count));
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(cuda_index));
  }
  if (wanted == Device::Auto) return torch::Device(torch::kCPU);
  throw DeviceError(built_with_cuda
                        ? "cannot use device \"cuda\": no CUDA device found (LibTorch has "
                          "CUDA support, but no usable GPU or driver is present)"
                        : "cannot use device \"cuda\": LibTorch was built without CUDA "
                          "(build against a CUDA LibTorch with -Dlibtorch_dir=...)");
}

namespace {

cv::Mat TorchNetwork::forward(const cv::Mat &x) const {
  const int in = info_.input_channels();
  const cv::Mat input = x.isContinuous() ? x : x.clone();
  const std::string shape = "[1, " + std::to_string(in) + ", " + std::to_string(x.rows) + ", " +
                            std::to_string(x.cols) + "]";
  torch::Tensor y;
  try {
    // Interleaved channels made planar; a copy, so that a model that works
    // in place cannot write into `x`.
    const torch::Tensor t =
        torch::from_blob(const_cast<float *>(input.ptr<float>()), {1, x.rows, x.cols, in},
                         torch::kFloat)
            .permute({0, 3, 1, 2})
            .clone(at::MemoryFormat::Contiguous);
    y = run(t).squeeze(0).permute({1, 2, 0}).contiguous();
  } catch (const Error &) {
    throw;
  } catch (const std::exception &e) {
    fail(e, shape);
  }

  const int channels = info_.output_channels();
  cv::Mat out(x.rows, x.cols, CV_32FC(channels));
  std::memcpy(out.ptr<float>(), y.data_ptr<float>(),
              static_cast<size_t>(y.numel()) * sizeof(float));
  return out;
}

/// Moves the module to its device, in eval mode, under the executor the
/// options ask for.
void prepare(torch::jit::Module &module, const std::string &path, const torch::Device &device,
             const LoadOptions &options) {
  module.eval();
  if (!options.optimize_per_shape) {
    // Per function, before its first run: nothing process-wide changes.
    for (const auto &method : module.get_methods())
      torch::jit::toGraphFunction(method.function())
          ._set_initial_executor_execution_mode(torch::jit::ExecutorExecutionMode::SIMPLE);
  }
  try {
    move_state(module, device);
  } catch (const c10::Error &e) {
    throw ModelError(path + ": cannot move the model to " + device.str() + ": " + short_reason(e));
  }
  if (device.is_cpu() && options.split_transposed_convolutions && detail::split_is_faster())
    detail::split_transposed_convolutions(module);
}

class TorchRuntime final : public detail::Runtime {
 public:
  std::unique_ptr<detail::Network> load(const std::string &path, detail::Bytes checked,
                                        const LoadOptions &options) const override {
    std::string metadata;
    torch::jit::Module module = load_archive(path, std::move(checked), options.map_weights, metadata);
    ModelInfo info = parse_model_info(metadata, path);
    const torch::Device device = torch_device(options.device);
    prepare(module, path, device, options);
    auto network = std::make_unique<TorchNetwork>(std::move(module), std::move(info), path, device);
    if (options.check_at_load) {
      const int m = network->info().size_multiple;
      network->run(torch::zeros({1, network->info().input_channels(), m, m}));
    }
    return network;
  }
  void set_threads(int threads) const override { at::set_num_threads(threads); }
  void use_huge_pages() const override { detail::use_huge_pages_for_tensors(); }
};

const TorchRuntime kRuntime{};
// Registered as the library loads: opened by core, or linked by a program.
[[maybe_unused]] const bool kRegistered = (detail::register_runtime(kRuntime), true);

}  // namespace
}  // namespace colorize
