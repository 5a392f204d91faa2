// Speed and memory benchmark of the `colorize` program ("Speed and
// memory"): builds the standard 54 M-parameter Pix2Pix generator (untrained:
// weights do not change speed), makes a 24 MP and a 96 MP JPEG from a photo,
// then measures
//   - the bare forward pass at 256 x 256 and at the CLI's padded working size,
//   - libjpeg decode, core apply and libjpeg encode of 24 MP on their own,
//   - `colorize` wall time and peak RSS (GNU time -v) for both images.
// Usage: bench-colorize COLORIZE_EXE PHOTO WORKDIR [--skip-96]
// Run by `meson test --benchmark` (never by plain `meson test`).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <glib.h>
#include <glib/gstdio.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "colorize/memory.h"
#include "colorize/model.h"
#include "colorize/pipeline.h"
#include "standard_unet.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// A gray-looking (old photo) 3-channel JPEG of `size`, with some grain so
/// it compresses like a real photo rather than a smooth upscale.
std::string make_jpeg(const cv::Mat &photo, cv::Size size,
                      const std::string &path) {
  if (g_file_test(path.c_str(), G_FILE_TEST_EXISTS)) return path;
  cv::Mat gray, big;
  cv::cvtColor(photo, gray, cv::COLOR_BGR2GRAY);
  cv::resize(gray, big, size, 0, 0, cv::INTER_LINEAR);
  cv::RNG rng(7);
  for (int y = 0; y < big.rows; y += 256) {
    cv::Mat rows = big.rowRange(y, std::min(big.rows, y + 256));
    cv::Mat noise(rows.size(), CV_16SC1);
    rng.fill(noise, cv::RNG::NORMAL, 0, 6);
    cv::Mat sum;
    cv::add(rows, noise, sum, cv::noArray(), CV_16S);
    sum.convertTo(rows, CV_8U);
  }
  cv::Mat bgr;
  cv::cvtColor(big, bgr, cv::COLOR_GRAY2BGR);
  big.release();
  cv::imwrite(path, bgr, {cv::IMWRITE_JPEG_QUALITY, 90});
  GStatBuf st;
  g_stat(path.c_str(), &st);
  std::printf("image: %s, %dx%d, %.1f MB\n", path.c_str(), size.width,
              size.height, st.st_size / 1e6);
  return path;
}

double time_forward(const colorize::Model &model, cv::Size size, int runs) {
  cv::Mat x(size, CV_32FC1);
  cv::randu(x, -1.0, 1.0);
  model.forward(x);  // warm-up (the profiling executor optimises on reuse)
  model.forward(x);
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    model.forward(x);
    t.push_back(seconds_since(t0));
  }
  return median(t);
}

/// Time of the three non-network stages on 24 MP, each alone.
void time_stages(const colorize::Model &model, const std::string &jpeg) {
  auto t0 = Clock::now();
  cv::Mat image = cv::imread(jpeg);
  const double decode = seconds_since(t0);

  cv::Mat small;
  cv::resize(image, small, {image.cols / 8, image.rows / 8}, 0, 0,
             cv::INTER_AREA);
  colorize::InferOptions infer_options;
  infer_options.order = colorize::ChannelOrder::Bgr;
  const colorize::AbMap map =
      colorize::infer(model, small, image.size(), infer_options);
  colorize::ApplyOptions options;
  options.order = colorize::ChannelOrder::Bgr;
  const int strip = std::max(8, (1 << 20) / image.cols);
  t0 = Clock::now();
  for (int y = 0; y < image.rows; y += strip) {
    cv::Mat rows = image.rowRange(y, std::min(image.rows, y + strip));
    colorize::apply(map, rows, y, rows, options);
  }
  const double apply = seconds_since(t0);

  std::vector<uchar> bytes;
  t0 = Clock::now();
  cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, 92});
  const double encode = seconds_since(t0);
  std::printf("24 MP stages alone: libjpeg decode %.3f s, core apply %.3f s "
              "(%d-row strips), libjpeg encode %.3f s\n",
              decode, apply, strip, encode);
}

struct CliRun {
  double wall = 0;
  double rss_mb = 0;
  std::string phases;  ///< colorize --verbose lines of the last run
};

CliRun run_cli(const std::string &exe, const std::string &model,
               const std::string &in, const std::string &out) {
  std::vector<const char *> argv{"/usr/bin/time", "-v", exe.c_str(), "-v",
                                 "--model",
                                 model.c_str(), "--output", out.c_str(),
                                 in.c_str(), nullptr};
  gchar *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  const auto t0 = Clock::now();
  if (!g_spawn_sync(nullptr, const_cast<gchar **>(argv.data()), nullptr,
                    G_SPAWN_STDOUT_TO_DEV_NULL, nullptr, nullptr, nullptr,
                    &err, &status, &error)) {
    std::fprintf(stderr, "cannot run %s: %s\n", exe.c_str(), error->message);
    g_error_free(error);
    std::exit(1);
  }
  CliRun r;
  r.wall = seconds_since(t0);
  const std::string text = err ? err : "";
  g_free(err);
  if (status != 0) {
    std::fprintf(stderr, "colorize failed:\n%s\n", text.c_str());
    std::exit(1);
  }
  const auto pos = text.find("Maximum resident set size (kbytes): ");
  if (pos != std::string::npos)
    r.rss_mb = std::atof(text.c_str() + pos + 36) / 1024.0;
  for (const char *key : {"User time", "System time"}) {
    const auto at = text.find(key);
    if (at != std::string::npos)
      r.phases += "  " + text.substr(at, text.find('\n', at) - at) + "\n";
  }
  // colorize -v: "colorize: model ... loaded in" and "in -> out: ..." lines.
  gchar **lines = g_strsplit(text.c_str(), "\n", -1);
  for (gchar **l = lines; *l; ++l)
    if (g_str_has_prefix(*l, "colorize:") || std::strstr(*l, " -> "))
      r.phases += std::string("  ") + *l + "\n";
  g_strfreev(lines);
  return r;
}

CliRun best_of(int n, const std::string &exe, const std::string &model,
               const std::string &in, const std::string &out) {
  std::vector<double> walls;
  double rss = 0;
  for (int i = 1; i < n; ++i) {
    const CliRun r = run_cli(exe, model, in, out);
    walls.push_back(r.wall);
    rss = std::max(rss, r.rss_mb);
  }
  CliRun r = run_cli(exe, model, in, out);  // last run: keep its phases
  walls.push_back(r.wall);
  rss = std::max(rss, r.rss_mb);
  return {median(walls), rss, r.phases};
}

/// The machine's load average: timings are only comparable when it is low.
void print_load(const char *when) {
  gchar *text = nullptr;
  if (g_file_get_contents("/proc/loadavg", &text, nullptr, nullptr)) {
    std::printf("load average %s: %s", when, text);
    g_free(text);
  }
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: %s COLORIZE_EXE PHOTO WORKDIR [--skip-96]\n", argv[0]);
    return 2;
  }
  const std::string exe = argv[1], photo_path = argv[2], dir = argv[3];
  const bool skip96 = argc > 4 && std::string(argv[4]) == "--skip-96";
  g_mkdir_with_parents(dir.c_str(), 0777);

  print_load("at start");
  const std::string model_path = bench::standard_unet(dir);
  const cv::Mat photo = cv::imread(photo_path);
  if (photo.empty()) {
    std::fprintf(stderr, "cannot read %s\n", photo_path.c_str());
    return 1;
  }
  const std::string jpeg24 = make_jpeg(photo, {6000, 4000}, dir + "/bench-24mp.jpg");
  const std::string jpeg96 =
      skip96 ? "" : make_jpeg(photo, {12000, 8000}, dir + "/bench-96mp.jpg");

  double forward256 = 0, forward_work = 0;
  cv::Size work;
  {
    colorize::set_cpu_threads(0);  // all cores and huge pages, as the colorize command
    colorize::use_huge_pages();
    const colorize::Model model = colorize::Model::load(model_path);
    forward256 = time_forward(model, {256, 256}, 7);
    const int m = model.info().size_multiple;
    work = colorize::working_size({6000, 4000}, model.info().input_size);
    const cv::Size padded((work.width + m - 1) / m * m,
                          (work.height + m - 1) / m * m);
    forward_work = time_forward(model, padded, 5);
    std::printf("forward (median, device %s): 256x256 %.3f s, %dx%d "
                "(24 MP working size %dx%d padded) %.3f s\n",
                model.device_name().c_str(), forward256, padded.width,
                padded.height, work.width, work.height, forward_work);
    time_stages(model, jpeg24);
  }

  const CliRun r24 = best_of(3, exe, model_path, jpeg24, dir + "/out-24mp.jpg");
  std::printf("colorize 24 MP JPEG->JPEG: wall %.2f s (median of 3), peak RSS "
              "%.0f MB\n%s", r24.wall, r24.rss_mb, r24.phases.c_str());
  std::printf("  target wall <= forward(256^2) + 0.8 s = %.2f s: %s\n",
              forward256 + 0.8, r24.wall <= forward256 + 0.8 ? "met" : "NOT met");
  std::printf("  (forward at the working size + 0.8 s = %.2f s: %s)\n",
              forward_work + 0.8,
              r24.wall <= forward_work + 0.8 ? "met" : "NOT met");
  std::printf("  target peak RSS <= 600 MB: %s\n",
              r24.rss_mb <= 600 ? "met" : "NOT met");
  if (!skip96) {
    const CliRun r96 =
        best_of(1, exe, model_path, jpeg96, dir + "/out-96mp.jpg");
    std::printf("colorize 96 MP JPEG->JPEG: wall %.2f s, peak RSS %.0f MB, "
                "96/24 RSS ratio %.3f (target <= 1.1: %s)\n%s",
                r96.wall, r96.rss_mb, r96.rss_mb / r24.rss_mb,
                r96.rss_mb <= 1.1 * r24.rss_mb ? "met" : "NOT met",
                r96.phases.c_str());
  }
  print_load("at end");
  return 0;
}
