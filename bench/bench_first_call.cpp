// First forward at each new input shape, per model file and load mode
// (core's default, the simple executor; the same with stride-2 transposed
// convolutions left whole; the same with the weights copied out of the file
// instead of read where it is mapped; LibTorch's profiling executor that
// re-optimises for every shape), all in one process.
// Usage: bench-first-call [--threads N] [--rounds N] [--python-unet SCRIPT DIR] MODEL.pt...
// --python-unet writes the standard Pix2Pix U-Net twice into DIR: built by
// colorize-train's code (unet-standard.pt), and written with torch.nn in
// Python by `$COLORIZE_PYTHON SCRIPT` (default python3; bench/make_python_unet.py,
// needs python3-torch) with the same weights (python-unet.pt); it checks
// that both give the same output and benchmarks both. Without torch in
// Python the Python-made file is left out.
// Each row: load time, then the time of the first call at three shapes
// (each a multiple of the model's size_multiple m: m x 2m, 2m x m, 2m x 3m)
// and of a second call at the first shape.
#include <glib.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <opencv2/core.hpp>
#include <string>
#include <utility>
#include <vector>

#include "colorize/error.h"
#include "colorize/model.h"
#include "standard_unet.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

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

/// Milliseconds of one fresh load: the load, the first call at m x 2m,
/// 2m x m and 2m x 3m, and a second call at m x 2m.
using Times = std::array<double, 5>;

/// How a round loads each model: core's default, then each alternative.
enum class Mode { Simple, Unsplit, Copied, PerShape };
constexpr Mode kModes[] = {Mode::Simple, Mode::Unsplit, Mode::Copied, Mode::PerShape};
const char *name(Mode mode) {
  switch (mode) {
    case Mode::Simple: return "simple";
    case Mode::Unsplit: return "unsplit";
    case Mode::Copied: return "copied";
    case Mode::PerShape: break;
  }
  return "per-shape";
}

Times time_model(const std::string &path, Mode mode, int threads) {
  colorize::LoadOptions options;
  options.device = colorize::Device::Cpu;
  options.optimize_per_shape = mode == Mode::PerShape;
  options.split_transposed_convolutions = mode != Mode::Unsplit;
  options.map_weights = mode != Mode::Copied;
  colorize::set_cpu_threads(threads);
  const auto t0 = Clock::now();
  const colorize::Model model = colorize::Model::load(path, options);
  const double load = ms_since(t0);
  const int m = model.info().size_multiple;
  const double a = time_forward(model, m, 2 * m);
  const double b = time_forward(model, 2 * m, m);
  const double c = time_forward(model, 2 * m, 3 * m);
  const double again = time_forward(model, m, 2 * m);
  const Times t{load, a, b, c, again};
  std::printf("%-44s %-10s %8.0f %10.0f %10.0f %10.0f %10.0f\n", path.c_str(), name(mode), load, a, b, c, again);
  return t;
}

Times median(std::vector<Times> runs) {
  Times m{};
  for (size_t k = 0; k < m.size(); ++k) {
    std::vector<double> v;
    for (const auto &r : runs) v.push_back(r[k]);
    std::sort(v.begin(), v.end());
    m[k] = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  }
  return m;
}

/// Writes the Python-made U-Net with `script`, with the weights of `from`;
/// false (with a note) when python3 or its torch module is missing.
bool make_python_unet(const std::string &script, const std::string &from, const std::string &out) {
  const char *python = g_getenv("COLORIZE_PYTHON");
  const gchar *argv[] = {python ? python : "python3", script.c_str(), out.c_str(), from.c_str(), nullptr};
  gchar *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  const bool ran = g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
                                nullptr, &err, &status, &error);
  const bool ok = ran && g_spawn_check_wait_status(status, nullptr);
  if (!ok)
    std::fprintf(stderr, "bench-first-call: no Python-made model (%s)\n",
                 error ? error->message : (err && *err ? err : "python3 failed"));
  if (error) g_error_free(error);
  g_free(err);
  return ok;
}

/// Largest difference between the outputs of two model files on one input
/// of 2m x 3m: 0 up to rounding when they are the same network.
double largest_difference(const std::string &a, const std::string &b) {
  colorize::LoadOptions options;
  options.device = colorize::Device::Cpu;
  const colorize::Model ma = colorize::Model::load(a, options), mb = colorize::Model::load(b, options);
  const int m = ma.info().size_multiple;
  cv::Mat x(2 * m, 3 * m, CV_32FC1);
  cv::randu(x, -1.0, 1.0);
  return cv::norm(ma.forward(x), mb.forward(x), cv::NORM_INF);
}

void print_header() {
  std::printf("%-44s %-10s %8s %10s %10s %10s %10s   (ms)\n", "model", "mode", "load", "m x 2m", "2m x m",
              "2m x 3m", "m x 2m again");
}

}  // namespace

int main(int argc, char **argv) {
  int threads = 0, rounds = 3;
  std::vector<std::string> models;
  std::vector<std::pair<std::string, std::string>> same;  // pairs that must give the same output
  try {
    for (int i = 1; i < argc; ++i) {
      if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
        threads = std::atoi(argv[++i]);
      } else if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
        rounds = std::max(1, std::atoi(argv[++i]));
      } else if (std::strcmp(argv[i], "--python-unet") == 0 && i + 2 < argc) {
        const std::string dir = argv[i + 2], ours = bench::standard_unet(dir), python = dir + "/python-unet.pt";
        models.push_back(ours);
        if (make_python_unet(argv[i + 1], ours, python)) {
          models.push_back(python);
          same.emplace_back(ours, python);
        }
        i += 2;
      } else
        models.push_back(argv[i]);
    }
    if (models.empty()) {
      std::fprintf(stderr,
                   "usage: bench-first-call [--threads N] [--rounds N] [--python-unet SCRIPT DIR] MODEL.pt...\n");
      return 2;
    }
    // Each round loads every model afresh, in every mode (core's default
    // first: each load is a new module, so the modes share no optimised
    // graphs). Every other round takes the models in reverse order: a model
    // that runs after another finds the process and its caches warm.
    std::map<std::pair<std::string, Mode>, std::vector<Times>> runs;
    print_header();
    for (int r = 0; r < rounds; ++r) {
      std::vector<std::string> order = models;
      if (r % 2) std::reverse(order.begin(), order.end());
      for (Mode mode : kModes)
        for (const auto &path : order) runs[{path, mode}].push_back(time_model(path, mode, threads));
    }
    std::printf("\nmedian of %d rounds:\n", rounds);
    print_header();
    for (Mode mode : kModes)
      for (const auto &path : models) {
        const Times t = median(runs[{path, mode}]);
        std::printf("%-44s %-10s %8.0f %10.0f %10.0f %10.0f %10.0f\n", path.c_str(), name(mode), t[0], t[1], t[2],
                    t[3], t[4]);
      }
    for (const auto &[a, b] : same) {
      const Times ta = median(runs[{a, Mode::Simple}]), tb = median(runs[{b, Mode::Simple}]);
      std::printf("%s / %s, simple executor, first calls: %.2fx %.2fx %.2fx\n", b.c_str(), a.c_str(), tb[1] / ta[1],
                  tb[2] / ta[2], tb[3] / ta[3]);
      std::printf("outputs differ by at most %.2g\n", largest_difference(a, b));
    }
  } catch (const colorize::Error &e) {
    std::fprintf(stderr, "bench-first-call: %s\n", e.what());
    return 1;
  }
  return 0;
}
