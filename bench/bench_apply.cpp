// Benchmark of phase 2 (apply) on a synthetic picture: how long it takes to
// colorize a full-resolution image in strips, given a small a,b map. No
// model involved.
//
//   bench-apply [WIDTH HEIGHT [DEPTH [STRIP_ROWS [REPEATS [THREADS]]]]]
//   defaults:   6000 4000 8 256 5 (all cores)   DEPTH: 8, 16 or 32 (float)
//
// Besides wall time it reports the CPU time of all threads: on a busy
// machine that is the steadier number (wall on an idle machine is about
// CPU time / cores).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "colorize/pipeline.h"

namespace {

double cpu_ms() {  // CPU time of all threads of the process
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/// A smooth random picture with some fine noise, in the requested depth.
cv::Mat synthetic_image(int width, int height, int depth) {
  cv::RNG rng(12345);
  cv::Mat coarse(std::max(2, height / 64), std::max(2, width / 64), CV_8UC3);
  rng.fill(coarse, cv::RNG::UNIFORM, 0, 256);
  cv::Mat image;
  cv::resize(coarse, image, cv::Size(width, height), 0, 0, cv::INTER_CUBIC);
  cv::Mat noise(image.size(), CV_8UC3);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 16);
  image += noise;
  if (depth == 16) image.convertTo(image, CV_16U, 257.0);
  if (depth == 32) image.convertTo(image, CV_32F, 1.0 / 255.0);
  return image;
}

}  // namespace

int main(int argc, char **argv) {
  const int width = argc > 1 ? std::atoi(argv[1]) : 6000;
  const int height = argc > 2 ? std::atoi(argv[2]) : 4000;
  const int depth = argc > 3 ? std::atoi(argv[3]) : 8;
  const int strip = argc > 4 ? std::atoi(argv[4]) : 256;
  const int repeats = argc > 5 ? std::atoi(argv[5]) : 5;
  if (argc > 6) cv::setNumThreads(std::atoi(argv[6]));
  if (width <= 0 || height <= 0 || strip <= 0 || repeats <= 0 ||
      (depth != 8 && depth != 16 && depth != 32)) {
    std::fprintf(stderr,
                 "usage: %s [WIDTH HEIGHT [8|16|32 [STRIP_ROWS [REPEATS [THREADS]]]]]\n",
                 argv[0]);
    return 2;
  }

  const cv::Mat image = synthetic_image(width, height, depth);
  colorize::AbMap map;
  map.image_size = image.size();
  // A smooth random a,b map in Lab units (|a|,|b| up to 40: colourful).
  cv::Mat coarse(8, 12, CV_32FC2);
  cv::RNG(777).fill(coarse, cv::RNG::UNIFORM, -40.0, 40.0);
  cv::resize(coarse, map.ab, cv::Size(384, 256), 0, 0, cv::INTER_CUBIC);
  cv::Mat out(image.size(), CV_MAKETYPE(image.depth(), 3));

  std::printf("apply: %dx%d, %d-bit%s RGB, strips of %d rows, a,b map %dx%d,"
              " %d OpenCV threads\n",
              width, height, depth, depth == 32 ? " float" : "", strip,
              map.ab.cols, map.ab.rows, cv::getNumThreads());
  std::vector<double> ms, cpu;
  for (int rep = 0; rep < repeats; ++rep) {
    const double c0 = cpu_ms();
    const auto t0 = std::chrono::steady_clock::now();
    for (int y = 0; y < height; y += strip) {
      const int rows = std::min(strip, height - y);
      cv::Mat o = out.rowRange(y, y + rows);
      colorize::apply(map, image.rowRange(y, y + rows), y, o);
    }
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - t0).count());
    cpu.push_back(cpu_ms() - c0);
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu.begin(), cpu.end());
  const double mp = double(width) * height / 1e6;
  std::printf("best %.1f ms, median %.1f ms over %d runs: %.2f ms per "
              "megapixel, %.0f ms for 24 MP\n",
              ms.front(), ms[ms.size() / 2], repeats, ms.front() / mp,
              ms.front() / mp * 24.0);
  std::printf("CPU time (all threads): best %.1f ms, %.0f ms for 24 MP\n",
              cpu.front(), cpu.front() / mp * 24.0);
  return 0;
}
