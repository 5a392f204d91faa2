// Model loading and the raw network call. With model_guard.cpp, the only
// core files that include LibTorch.
#include "colorize/model.h"
#include "colorize/torch_device.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <new>
#include <sstream>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include <torch/cuda.h>
#include <ATen/Parallel.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/script.h>

#include "colorize/error.h"
#include "model_archive.h"
#include "model_guard.h"

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

void check_regular_file(const std::string &path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status))
    throw ModelError(path + ": no such file");
  if (!std::filesystem::is_regular_file(status))
    throw ModelError(path + ": not a regular file");
}

std::string not_torchscript(const std::string &path, const std::string &reason) {
  return path + ": not a TorchScript model file (" + reason + ")";
}

void check_metadata_present(const std::string &path, const std::string &metadata) {
  if (metadata.empty())
    throw ModelError(path + ": the TorchScript archive has no " +
                     std::string(kMetadataFileName) +
                     " metadata (see models/README.md for how to add it)");
}

/// LibTorch reads the archive from the bytes model_guard checked, not from
/// the file again.
class BytesReader : public caffe2::serialize::ReadAdapterInterface {
 public:
  explicit BytesReader(detail::Bytes bytes) : bytes_(std::move(bytes)), view_(detail::view(bytes_)) {}
  size_t size() const override { return view_.size(); }
  size_t read(uint64_t pos, void *buf, size_t n, const char * /*what*/) const override {
    if (pos >= view_.size()) return 0;
    n = std::min<size_t>(n, view_.size() - pos);
    std::memcpy(buf, view_.data() + pos, n);
    detail::release_pages(view_, pos, n);
    return n;
  }

 private:
  detail::Bytes bytes_;
  std::string_view view_;
};

torch::jit::Module load_archive(const std::string &path, std::string &metadata) {
  check_regular_file(path);
  auto reader = std::make_shared<BytesReader>(detail::read_checked_archive(path));

  torch::jit::ExtraFilesMap extra{{kMetadataFileName, ""}};
  torch::jit::Module module;
  try {
    // Load on the CPU; the module is moved to its device afterwards, so an
    // archive saved from a GPU loads on a CPU-only machine.
    module = torch::jit::load(reader, torch::Device(torch::kCPU), extra);
  } catch (const c10::Error &e) {
    throw ModelError(not_torchscript(path, short_reason(e)));
  } catch (const std::exception &e) {
    throw ModelError(not_torchscript(path, e.what()));
  }
  metadata = extra[kMetadataFileName];
  check_metadata_present(path, metadata);
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

Device parse_device(const std::string &name) {
  if (name == "auto") return Device::Auto;
  if (name == "cpu") return Device::Cpu;
  if (name == "cuda") return Device::Cuda;
  throw Error("unknown device \"" + name + "\" (use auto, cpu or cuda)");
}

const char *to_string(Device device) {
  switch (device) {
    case Device::Auto: return "auto";
    case Device::Cpu: return "cpu";
    case Device::Cuda: return "cuda";
  }
  return "?";
}

ModelInfo read_model_info(const std::string &path) {
  check_regular_file(path);
  // torch::jit::load() reads extra files from the same zip entry.
  const std::string entry = std::string("extra/") + kMetadataFileName;
  std::string metadata;
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    if (reader.hasRecord(entry)) {
      const auto record = reader.getRecord(entry);
      metadata.assign(static_cast<const char *>(std::get<0>(record).get()),
                      std::get<1>(record));
    }
  } catch (const c10::Error &e) {
    throw ModelError(not_torchscript(path, short_reason(e)));
  } catch (const std::exception &e) {
    throw ModelError(not_torchscript(path, e.what()));
  }
  check_metadata_present(path, metadata);
  return parse_model_info(metadata, path);
}

struct Model::Impl {
  torch::jit::Module module;
  ModelInfo info;
  std::string path;
  torch::Device device{torch::kCPU};

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
      throw OutOfMemory(path, "the model pass on an input of shape " + shape + ": " + line,
                        e.what());
    throw ModelError(path + ": forward() failed on an input of shape " + shape + ": " +
                     (c10_error ? short_reason(*c10_error) : text));
  }

  /// Runs forward() on a [1,C,H,W] float tensor and checks the result is a
  /// [1,C,H,W] floating-point tensor of finite values. Returns it as float32
  /// on the CPU.
  torch::Tensor run(const torch::Tensor &x) {
    try {
      return run_unguarded(x);
    } catch (const Error &) {
      throw;
    } catch (const std::exception &e) {
      fail(e, shape_string(x.sizes()));
    }
  }

  torch::Tensor run_unguarded(const torch::Tensor &x) {
    c10::InferenceMode guard;
    const torch::jit::IValue result = module.forward({x.to(device)});
    if (!result.isTensor())
      throw ModelError(path + ": forward() returns " + result.tagKind() +
                       " instead of a tensor");
    torch::Tensor y = result.toTensor();
    const int channels = info.output_channels();
    if (y.dim() == 4 && y.size(0) == 1 && y.size(1) != channels)
      throw ModelError(path + ": forward() returns " + std::to_string(y.size(1)) +
                       " channels but color_space \"" + to_string(info.color_space) +
                       "\" needs " + std::to_string(channels));
    if (y.dim() != 4 || y.size(0) != 1 || y.size(2) != x.size(2) || y.size(3) != x.size(3))
      throw ModelError(path + ": forward() returns shape " + shape_string(y.sizes()) +
                       " for an input of shape " + shape_string(x.sizes()) +
                       "; expected [1, " + std::to_string(channels) + ", " +
                       std::to_string(x.size(2)) + ", " + std::to_string(x.size(3)) + "]");
    if (!y.is_floating_point())
      throw ModelError(path + ": forward() returns a tensor of type " +
                       std::string(c10::toString(y.scalar_type())) +
                       ", not floating point");
    // One pass over the output, on its device: NaN or Inf would otherwise
    // come out as saturated colours.
    if (!torch::isfinite(y).all().item<bool>())
      throw ModelError(path + ": the model produced non-finite values (NaN or Inf) for "
                       "an input of shape " + shape_string(x.sizes()) +
                       "; the file may be damaged or the network broken");
    return y.to(torch::kCPU, torch::kFloat);
  }
};

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

void set_cpu_threads(int threads) {
  if (threads < 0 || threads > kMaxThreads)
    throw Error("thread count " + std::to_string(threads) + " is out of range (0 = all cores, at most " +
                std::to_string(kMaxThreads) + ")");
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads > 0 ? threads : cores);
  cv::setNumThreads(threads > 0 ? threads : cores);
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model &&) noexcept = default;
Model &Model::operator=(Model &&) noexcept = default;
Model::~Model() = default;

Model Model::load(const std::string &path, const LoadOptions &options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  std::string metadata;
  impl->module = load_archive(path, metadata);
  impl->info = parse_model_info(metadata, path);
  impl->device = torch_device(options.device);

  impl->module.eval();
  if (!options.optimize_per_shape) {
    // Per function, before its first run: nothing process-wide changes.
    for (const auto &method : impl->module.get_methods())
      torch::jit::toGraphFunction(method.function())
          ._set_initial_executor_execution_mode(torch::jit::ExecutorExecutionMode::SIMPLE);
  }
  try {
    move_state(impl->module, impl->device);
  } catch (const c10::Error &e) {
    throw ModelError(path + ": cannot move the model to " + impl->device.str() +
                     ": " + short_reason(e));
  }

  if (options.check_at_load) {
    const int m = impl->info.size_multiple;
    impl->run(torch::zeros({1, impl->info.input_channels(), m, m}));
  }
  return Model(std::move(impl));
}

const ModelInfo &Model::info() const { return impl_->info; }
const std::string &Model::path() const { return impl_->path; }
std::string Model::device_name() const { return impl_->device.str(); }

cv::Mat Model::forward(const cv::Mat &x) const {
  const int in = impl_->info.input_channels();
  if (x.type() != CV_32FC(in))
    throw ImageError("model input must be " + cv::typeToString(CV_32FC(in)) + " (" +
                     (in == 1 ? std::string("normalised L") : "normalised L, hint a, hint b, hint mask") +
                     "), got " + cv::typeToString(x.type()));
  const int m = impl_->info.size_multiple;
  if (x.empty() || x.rows % m != 0 || x.cols % m != 0)
    throw ImageError("model input is " + std::to_string(x.cols) + "x" +
                     std::to_string(x.rows) + "; width and height must be positive multiples of " +
                     std::to_string(m));

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
    y = impl_->run(t).squeeze(0).permute({1, 2, 0}).contiguous();
  } catch (const Error &) {
    throw;
  } catch (const std::exception &e) {
    impl_->fail(e, shape);
  }

  const int channels = impl_->info.output_channels();
  cv::Mat out(x.rows, x.cols, CV_32FC(channels));
  std::memcpy(out.ptr<float>(), y.data_ptr<float>(),
              static_cast<size_t>(y.numel()) * sizeof(float));
  return out;
}

}  // namespace colorize
