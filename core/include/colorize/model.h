// A loaded colorization model: TorchScript module + metadata + device.
// The header does not include LibTorch: core runs the network through
// libcolorize-torch, which it loads on first use (see
// preload_model_runtime()).
#pragma once

#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "colorize/metadata.h"

namespace colorize {

enum class Device { Auto, Cpu, Cuda };

/// "auto", "cpu" or "cuda" -> Device; throws Error naming the bad value.
Device parse_device(const std::string &name);
const char *to_string(Device device);

/// Most threads a caller may ask for (set_cpu_threads).
inline constexpr int kMaxThreads = 256;

/// How many threads LibTorch (one operator) and OpenCV (resizing, colour
/// conversion) use on the CPU: 1..kMaxThreads, 0 = all cores of the
/// machine. Both libraries have one such setting per process, so this is
/// the program's choice, made once before its work starts; nothing in
/// core changes it. Throws Error outside 0..kMaxThreads.
void set_cpu_threads(int threads);

/// LibTorch is loaded when a model is first loaded, not when the program
/// starts (about half a second of start-up on 2 cores); read_model_info()
/// does without it. preload_model_runtime() starts loading it now on another
/// thread, so that a program can read its picture meanwhile; a later load
/// waits for it. Later calls do nothing.
void preload_model_runtime();
/// Loads LibTorch now, waiting for a preload under way. Throws Error when
/// it cannot be loaded (libcolorize-torch missing beside libcolorize-core,
/// or LibTorch's own libraries missing).
void load_model_runtime();

struct LoadOptions {
  /// Auto = CUDA when LibTorch was built with it and a GPU is present.
  Device device = Device::Auto;
  /// TorchScript's profiling executor re-profiles and re-optimises forward()
  /// for every new input shape: 2.6-3.8 s per shape for files scripted in
  /// Python, and each picture has its own shape. Off by default: forward()
  /// runs under the simple executor (the graph optimised once, for every
  /// shape), as fast on the CPU. On for GPU fusion experiments.
  bool optimize_per_shape = false;
  /// One forward pass at the smallest size at load, so that a network
  /// returning the wrong shape, type or non-finite values is reported by
  /// load() rather than by the first forward(). Every forward() checks its
  /// output either way; off, the first forward() is the check, which saves
  /// one pass (0.4 s for a 54 M-parameter model on 2 cores) when a single
  /// picture follows.
  bool check_at_load = true;
  /// With LibTorch 1.x on the CPU, stride-2 transposed convolutions (a
  /// U-Net's decoder) run as four ordinary convolutions with their weights
  /// reordered at load: the same result up to float rounding, and the
  /// standard 54 M U-Net's first forward passes at three shapes take about
  /// half as long on 2 cores (bench/README.md). LibTorch 2 needs no such
  /// help. Off only to compare.
  bool split_transposed_convolutions = true;
  /// Tensors stored uncompressed in the file, as TorchScript writes them,
  /// are used where the file is mapped instead of being copied out: loading
  /// the standard 54 M U-Net then fills no fresh memory with its 218 MB of
  /// weights. The file must then not be rewritten in place (truncated or
  /// overwritten, rather than replaced by a rename) while the model is in
  /// use: a truncated file stops the process (SIGBUS). Off: every tensor
  /// is copied at load, as LibTorch does.
  bool map_weights = true;
};

/// Reads and validates the colorize.json of the model file at `path`
/// without loading or running the network (the archive's zip directory and
/// that one entry are read). Throws ModelError with the same messages as
/// Model::load() for a missing file, a file that is not a TorchScript
/// archive, a missing colorize.json or invalid metadata.
ModelInfo read_model_info(const std::string &path);

class Model {
 public:
  /// Loads the archive, reads and validates colorize.json, moves the module
  /// to the chosen device, puts it in eval mode and (check_at_load) checks
  /// with one tiny forward pass that it returns info().output_channels()
  /// channels of finite values.
  /// Throws ModelError (file/format problems), DeviceError or OutOfMemory.
  static Model load(const std::string &path, const LoadOptions &options = {});

  /// load() with the network loading on another thread, so that the caller
  /// can read its picture meanwhile. info() is read at once, without
  /// LibTorch (ModelError here for a missing file, a file that is not a
  /// model archive or bad metadata); the rest of load()'s errors come from
  /// wait(), and from device_name() and forward(), which wait for it.
  /// Start it before other threads that should overlap with it: the C
  /// library lets no thread start while LibTorch's libraries load.
  static Model load_in_background(const std::string &path, const LoadOptions &options = {});

  /// Waits until the network is loaded; throws the error load() would
  /// have thrown. Returns at once after load().
  void wait() const;

  Model(Model &&) noexcept;
  Model &operator=(Model &&) noexcept;
  ~Model();

  const ModelInfo &info() const;
  const std::string &path() const;
  /// "cpu" or "cuda:N".
  std::string device_name() const;

  /// Raw network call. `x` is the normalised input,
  /// CV_32FC(info().input_channels()) (L; for hint models L, hint a, hint b,
  /// mask, interleaved), H and W multiples of info().size_multiple. Returns the raw output as
  /// CV_32FC(output_channels) of the same H x W (interleaved channels).
  /// Throws ModelError when forward() fails or the output holds NaN or
  /// Inf, OutOfMemory when LibTorch cannot allocate.
  /// Thread-compatible, not thread-safe.
  cv::Mat forward(const cv::Mat &x) const;

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace colorize
