// First forward at each new input shape, per model file and executor mode
// (core's default, the simple executor, against LibTorch's profiling
// executor that re-optimises for every shape), all in one process.
// Usage: bench-first-call [--threads N] [--python-unet SCRIPT OUT.pt] MODEL.pt...
// --python-unet runs `$COLORIZE_PYTHON SCRIPT OUT.pt` (default python3) (bench/make_python_unet.py; needs
// python3-torch) and benchmarks OUT.pt too; without torch it is left out.
// Each row: load time, then the time of the first call at three shapes
// (each a multiple of the model's size_multiple m: m x 2m, 2m x m, 2m x 3m)
// and of a second call at the first shape.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <glib.h>
#include <opencv2/core.hpp>

#include "colorize/error.h"
#include "colorize/model.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double time_forward(const colorize::Model &model, int rows, int cols) {
  // L in [-1, 1]; a hint model's hint channels and mask stay 0 (no hints)
  cv::Mat x(rows, cols, CV_32FC(model.info().input_channels()), cv::Scalar::all(0));
  cv::Mat l(rows, cols, CV_32FC1);
  cv::randu(l, -1.0, 1.0);
  cv::insertChannel(l, x, 0);
  const auto t0 = Clock::now();
  model.forward(x);
  return ms_since(t0);
}

void bench(const std::string &path, bool per_shape, int threads) {
  colorize::LoadOptions options;
  options.device = colorize::Device::Cpu;
  options.optimize_per_shape = per_shape;
  colorize::set_cpu_threads(threads);
  const auto t0 = Clock::now();
  const colorize::Model model = colorize::Model::load(path, options);
  const double load = ms_since(t0);
  const int m = model.info().size_multiple;
  const double a = time_forward(model, m, 2 * m);
  const double b = time_forward(model, 2 * m, m);
  const double c = time_forward(model, 2 * m, 3 * m);
  const double again = time_forward(model, m, 2 * m);
  std::printf("%-44s %-10s %8.0f %10.0f %10.0f %10.0f %10.0f\n", path.c_str(),
              per_shape ? "per-shape" : "simple", load, a, b, c, again);
}

/// Writes the Python-made U-Net with `script`; false (with a note) when
/// python3 or its torch module is missing.
bool make_python_unet(const std::string &script, const std::string &out) {
  const char *python = g_getenv("COLORIZE_PYTHON");
  const gchar *argv[] = {python ? python : "python3", script.c_str(), out.c_str(), nullptr};
  gchar *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  const bool ran = g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr, G_SPAWN_SEARCH_PATH, nullptr,
                                nullptr, nullptr, &err, &status, &error);
  const bool ok = ran && g_spawn_check_wait_status(status, nullptr);
  if (!ok)
    std::fprintf(stderr, "bench-first-call: no Python-made model (%s)\n",
                 error ? error->message : (err && *err ? err : "python3 failed"));
  if (error) g_error_free(error);
  g_free(err);
  return ok;
}

}  // namespace

int main(int argc, char **argv) {
  int threads = 0;
  std::vector<std::string> models;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--python-unet") == 0 && i + 2 < argc) {
      if (make_python_unet(argv[i + 1], argv[i + 2])) models.push_back(argv[i + 2]);
      i += 2;
    } else
      models.push_back(argv[i]);
  }
  if (models.empty()) {
    std::fprintf(stderr, "usage: bench-first-call [--threads N] [--python-unet SCRIPT OUT.pt] MODEL.pt...\n");
    return 2;
  }
  std::printf("%-44s %-10s %8s %10s %10s %10s %10s   (ms)\n", "model", "executor", "load", "m x 2m",
              "2m x m", "2m x 3m", "m x 2m again");
  try {
    // Simple first: each load is a new module, so the modes do not share
    // optimised graphs.
    for (bool per_shape : {false, true})
      for (const auto &path : models) bench(path, per_shape, threads);
  } catch (const colorize::Error &e) {
    std::fprintf(stderr, "bench-first-call: %s\n", e.what());
    return 1;
  }
  return 0;
}
