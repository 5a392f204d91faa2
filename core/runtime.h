// The LibTorch side of core lives in a library of its own,
// libcolorize-torch, next to libcolorize-core. Core loads it on first use
// (or on another thread, preload_model_runtime()), so that a program
// linking core starts without LibTorch's start-up (about half a second:
// hundreds of shared libraries and its operator registry) and can read a
// picture while LibTorch loads. A program that links libcolorize-torch
// itself (the trainer, tests) has it from its start. Not installed.
#pragma once

#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "colorize/model.h"
#include "model_archive.h"

namespace colorize::detail {

/// A network loaded on its device.
class Network {
 public:
  virtual ~Network() = default;
  virtual const ModelInfo &info() const = 0;
  /// "cpu" or "cuda:N".
  virtual std::string device_name() const = 0;
  /// Model::forward() after its checks of `x`.
  virtual cv::Mat forward(const cv::Mat &x) const = 0;
};

/// What libcolorize-torch gives core; one object, alive until the process
/// ends.
class Runtime {
 public:
  /// Model::load() of the file at `path` from its checked bytes.
  virtual std::unique_ptr<Network> load(const std::string &path, Bytes checked,
                                        const LoadOptions &options) const = 0;
  /// LibTorch's CPU thread count (at least 1).
  virtual void set_threads(int threads) const = 0;
  /// The LibTorch half of use_huge_pages().
  virtual void use_huge_pages() const = 0;

 protected:
  ~Runtime() = default;
};

/// Called once, by libcolorize-torch as it loads. Applies the program's
/// choices made before (set_cpu_threads(), use_huge_pages()).
void register_runtime(const Runtime &runtime);

/// The LibTorch half of use_huge_pages(): now when the runtime is
/// registered, else as it registers.
void use_huge_pages_in_runtime();

/// The runtime, loaded first if need be (waiting for a preload under way).
/// Throws Error when libcolorize-torch cannot be loaded.
const Runtime &runtime();

/// Throws ModelError when `path` is missing or not a regular file.
void check_regular_file(const std::string &path);

}  // namespace colorize::detail
