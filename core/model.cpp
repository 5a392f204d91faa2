// Model: the metadata and network of a model file, run through the
// runtime of libcolorize-torch (runtime.h). No LibTorch here.
#include "colorize/model.h"

#include <filesystem>
#include <future>

#include "colorize/error.h"
#include "model_archive.h"
#include "runtime.h"

namespace colorize {

namespace detail {

void check_regular_file(const std::string &path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status))
    throw ModelError(path + ": no such file");
  if (!std::filesystem::is_regular_file(status))
    throw ModelError(path + ": not a regular file");
}

}  // namespace detail

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
  // Without LibTorch: the zip directory and one entry.
  detail::check_regular_file(path);
  const std::string metadata = detail::read_metadata_entry(path);
  detail::require_metadata(path, metadata);
  return parse_model_info(metadata, path);
}

struct Model::Impl {
  std::string path;
  ModelInfo info;
  /// Ready after load(); being made after load_in_background().
  std::shared_future<std::shared_ptr<const detail::Network>> network;

  const detail::Network &net() const { return *network.get(); }
};

namespace {

std::shared_ptr<const detail::Network> load_network(const std::string &path, const LoadOptions &options) {
  // LibTorch loads on another thread while the file is mapped and checked.
  preload_model_runtime();
  detail::Bytes checked = detail::read_checked_archive(path);
  return detail::runtime().load(path, std::move(checked), options);
}

}  // namespace

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model &&) noexcept = default;
Model &Model::operator=(Model &&) noexcept = default;
Model::~Model() = default;

Model Model::load(const std::string &path, const LoadOptions &options) {
  detail::check_regular_file(path);
  std::promise<std::shared_ptr<const detail::Network>> loaded;
  auto impl = std::make_unique<Impl>();
  impl->network = loaded.get_future().share();
  loaded.set_value(load_network(path, options));
  impl->info = impl->net().info();
  impl->path = path;
  return Model(std::move(impl));
}

Model Model::load_in_background(const std::string &path, const LoadOptions &options) {
  auto impl = std::make_unique<Impl>();
  impl->info = read_model_info(path);
  impl->path = path;
  // The last copy of the future waits for the thread (std::async).
  impl->network = std::async(std::launch::async, load_network, path, options).share();
  return Model(std::move(impl));
}

void Model::wait() const { impl_->net(); }

const ModelInfo &Model::info() const { return impl_->info; }
const std::string &Model::path() const { return impl_->path; }
std::string Model::device_name() const { return impl_->net().device_name(); }

cv::Mat Model::forward(const cv::Mat &x) const {
  const int in = info().input_channels();
  if (x.type() != CV_32FC(in))
    throw ImageError("model input must be " + cv::typeToString(CV_32FC(in)) + " (" +
                     (in == 1 ? std::string("normalised L") : "normalised L, hint a, hint b, hint mask") +
                     "), got " + cv::typeToString(x.type()));
  const int m = info().size_multiple;
  if (x.empty() || x.rows % m != 0 || x.cols % m != 0)
    throw ImageError("model input is " + std::to_string(x.cols) + "x" +
                     std::to_string(x.rows) + "; width and height must be positive multiples of " +
                     std::to_string(m));
  return impl_->net().forward(x);
}

}  // namespace colorize
