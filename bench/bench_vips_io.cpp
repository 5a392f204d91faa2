// libvips as the colorize program's image source and sink, side by side
// with the program itself (libjpeg streaming for JPEG, OpenCV for the other
// formats), on the same pictures, in one run:
//   - the source: the whole picture at the working size by libvips'
//     shrink-on-load (vips_thumbnail), rows at full resolution read
//     sequentially;
//   - the sink: core's apply() as a libvips operation whose output is saved
//     by libvips' own savers (metadata copied), in libvips' thread pool.
// Each run is a separate process, measured by GNU time (wall, peak RSS).
//
// Usage: bench-vips-io COLORIZE_EXE MODEL PHOTO WORKDIR [--skip-96]
//        bench-vips-io --one MODEL IN OUT     (one libvips run)
// Run by `meson test --benchmark vips-io` (never by plain `meson test`).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <glib.h>
#include <opencv2/core.hpp>
#include <vips/vips.h>

#include "colorize/memory.h"
#include "colorize/model.h"
#include "colorize/pipeline.h"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void vips_die(const char *what) {
  std::fprintf(stderr, "%s: %s\n", what, vips_error_buffer());
  std::exit(1);
}

// ------------------------------------------------------- one libvips run

/// apply() for the rows libvips asks for: the input rows of the same band,
/// full width, colorized, then the requested columns copied out.
int generate(VipsRegion *out, void *seq, void *a, void *b, gboolean *) {
  auto *in = static_cast<VipsRegion *>(seq);
  const auto *map = static_cast<const colorize::AbMap *>(b);
  const VipsRect &r = out->valid;
  const VipsImage *im = static_cast<VipsImage *>(a);
  VipsRect need{0, r.top, im->Xsize, r.height};
  if (vips_region_prepare(in, &need)) return -1;
  const int depth = im->BandFmt == VIPS_FORMAT_USHORT ? CV_16U : CV_8U;
  const cv::Mat rows(r.height, im->Xsize, CV_MAKETYPE(depth, im->Bands), VIPS_REGION_ADDR(in, 0, r.top),
                     VIPS_REGION_LSKIP(in));
  cv::Mat done;
  colorize::apply(*map, rows, r.top, done);
  const size_t pixel = done.elemSize();
  for (int y = 0; y < r.height; ++y)
    std::memcpy(VIPS_REGION_ADDR(out, r.left, r.top + y), done.ptr(y) + r.left * pixel, r.width * pixel);
  return 0;
}

int run_one(const char *argv0, const std::string &model_path, const std::string &in_path,
            const std::string &out_path) {
  if (VIPS_INIT(argv0)) vips_die("vips_init");
  colorize::set_cpu_threads(0);
  colorize::use_huge_pages();  // as the colorize command
  colorize::LoadOptions load;
  load.device = colorize::Device::Cpu;
  const colorize::Model model = colorize::Model::load(model_path, load);

  VipsImage *full = vips_image_new_from_file(in_path.c_str(), "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
  if (!full) vips_die(in_path.c_str());
  if (full->BandFmt != VIPS_FORMAT_UCHAR && full->BandFmt != VIPS_FORMAT_USHORT) vips_die("not 8 or 16 bits");
  const cv::Size size(full->Xsize, full->Ysize);
  const cv::Size work = colorize::working_size(size, model.info().input_size);

  // phase 1: a copy of about twice the working size, shrunk while loading
  // (as the program's JPEG reader does by DCT scaling); infer() resizes it
  VipsImage *small = nullptr;
  if (vips_thumbnail(in_path.c_str(), &small, 2 * work.width, "height", 2 * work.height, "size", VIPS_SIZE_DOWN,
                     nullptr))
    vips_die("vips_thumbnail");
  size_t bytes = 0;
  void *pixels = vips_image_write_to_memory(small, &bytes);
  if (!pixels) vips_die("vips_image_write_to_memory");
  const int small_depth = small->BandFmt == VIPS_FORMAT_USHORT ? CV_16U : CV_8U;
  const cv::Mat small_mat(small->Ysize, small->Xsize, CV_MAKETYPE(small_depth, small->Bands), pixels);
  const colorize::AbMap map = colorize::infer(model, small_mat, size);
  g_free(pixels);
  g_object_unref(small);

  // phase 2: apply as a libvips operation, saved by libvips
  VipsImage *out = vips_image_new();
  VipsImage *ins[] = {full, nullptr};
  if (vips_image_pipeline_array(out, VIPS_DEMAND_STYLE_THINSTRIP, ins)) vips_die("pipeline");
  const bool alpha = full->Bands == 2 || full->Bands == 4;
  out->Bands = alpha ? 4 : 3;
  out->Type = full->BandFmt == VIPS_FORMAT_USHORT ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB;
  if (vips_image_generate(out, vips_start_one, generate, vips_stop_one, full, const_cast<colorize::AbMap *>(&map)))
    vips_die("generate");
  // the colorize program's settings: JPEG quality 90 (as asked), OpenCV's
  // PNG compression level 1 and LZW TIFF
  const std::string ext = out_path.substr(out_path.rfind('.'));
  const std::string saver =
      out_path + (ext == ".jpg" ? "[Q=90]" : ext == ".png" ? "[compression=1]" : "[compression=lzw]");
  if (vips_image_write_to_file(out, saver.c_str(), nullptr)) vips_die(out_path.c_str());
  g_object_unref(out);
  g_object_unref(full);
  vips_shutdown();
  return 0;
}

// ------------------------------------------------------------- the driver

struct Run {
  double wall = 0, rss_mb = 0;
};

/// Runs `argv` under GNU time; exits when it fails.
Run timed(std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/time", "-v"});
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  g_autofree gchar *err = nullptr;
  gint status = 0;
  g_autoptr(GError) error = nullptr;
  const auto t0 = Clock::now();
  if (!g_spawn_sync(nullptr, argv.data(), nullptr, G_SPAWN_STDOUT_TO_DEV_NULL, nullptr, nullptr, nullptr, &err,
                    &status, &error)) {
    std::fprintf(stderr, "cannot run %s: %s\n", args[2].c_str(), error->message);
    std::exit(1);
  }
  Run r;
  r.wall = std::chrono::duration<double>(Clock::now() - t0).count();
  if (status != 0) {
    std::fprintf(stderr, "%s failed:\n%s\n", args[2].c_str(), err);
    std::exit(1);
  }
  const char *at = std::strstr(err, "Maximum resident set size (kbytes): ");
  if (at) r.rss_mb = std::atof(at + 36) / 1024.0;
  return r;
}

/// Best wall time and the highest peak RSS of `n` runs.
Run best(int n, const std::vector<std::string> &args) {
  Run b{1e9, 0};
  for (int i = 0; i < n; ++i) {
    const Run r = timed(args);
    b.wall = std::min(b.wall, r.wall);
    b.rss_mb = std::max(b.rss_mb, r.rss_mb);
  }
  return b;
}

/// Mean and largest difference of two pictures of the same size, 0-255.
std::pair<double, double> difference(const std::string &a, const std::string &b) {
  VipsImage *x = vips_image_new_from_file(a.c_str(), nullptr), *y = vips_image_new_from_file(b.c_str(), nullptr);
  VipsImage *d = nullptr, *m = nullptr;
  double mean = 0, most = 0;
  if (!x || !y || vips_subtract(x, y, &d, nullptr) || vips_abs(d, &m, nullptr) || vips_avg(m, &mean, nullptr) ||
      vips_max(m, &most, nullptr))
    vips_die("comparing the results");
  for (VipsImage *im : {x, y, d, m}) g_object_unref(im);
  return {mean, most};
}

/// A gray picture of `w` x `h` from the photo, with grain so that it
/// compresses like a scan; written once in each of the formats.
std::vector<std::string> make_pictures(const std::string &photo, const std::string &dir, int w, int h) {
  const std::string stem = dir + "/vips-" + std::to_string(w * h / 1000000) + "mp";
  const std::vector<std::string> paths{stem + ".jpg", stem + "-progressive.jpg", stem + ".png", stem + ".tif"};
  if (std::all_of(paths.begin(), paths.end(), [](auto &p) { return g_file_test(p.c_str(), G_FILE_TEST_EXISTS); }))
    return paths;
  VipsImage *src = vips_image_new_from_file(photo.c_str(), nullptr);
  VipsImage *gray, *big, *noise, *sum, *pic;
  if (!src || vips_colourspace(src, &gray, VIPS_INTERPRETATION_B_W, nullptr) ||
      vips_resize(gray, &big, double(w) / gray->Xsize, "vscale", double(h) / gray->Ysize, nullptr) ||
      vips_gaussnoise(&noise, w, h, "sigma", 6.0, "mean", 0.0, nullptr) || vips_add(big, noise, &sum, nullptr) ||
      vips_cast(sum, &pic, VIPS_FORMAT_UCHAR, nullptr))
    vips_die("making the test picture");
  // one materialised copy, saved four ways
  VipsImage *mem = vips_image_copy_memory(pic);
  if (!mem || vips_jpegsave(mem, paths[0].c_str(), "Q", 90, nullptr) ||
      vips_jpegsave(mem, paths[1].c_str(), "Q", 90, "interlace", TRUE, nullptr) ||
      vips_pngsave(mem, paths[2].c_str(), "compression", 1, nullptr) || vips_tiffsave(mem, paths[3].c_str(), nullptr))
    vips_die("saving the test pictures");
  for (VipsImage *im : {src, gray, big, noise, sum, pic, mem}) g_object_unref(im);
  return paths;
}

int run_driver(const char *self, int argc, char **argv) {
  const std::string exe = argv[1], model = argv[2], photo = argv[3], dir = argv[4];
  const bool skip96 = argc > 5 && std::string(argv[5]) == "--skip-96";
  if (VIPS_INIT(self)) vips_die("vips_init");
  g_mkdir_with_parents(dir.c_str(), 0777);
  g_autofree gchar *load = nullptr;
  if (g_file_get_contents("/proc/loadavg", &load, nullptr, nullptr)) std::printf("load average: %s", load);
  std::printf("libvips %s; each cell: best wall of 2 runs (s) / peak RSS (MB)\n\n", vips_version_string());
  std::printf("| picture | colorize (libjpeg / OpenCV) | libvips source + sink | results differ: mean / max |\n"
              "|---|---|---|---|\n");
  std::vector<std::pair<int, int>> sizes{{6000, 4000}};
  if (!skip96) sizes.emplace_back(12000, 8000);
  for (auto [w, h] : sizes) {
    for (const std::string &in : make_pictures(photo, dir, w, h)) {
      const std::string ext = in.substr(in.rfind('.'));
      const std::string out_cli = dir + "/out-cli" + ext, out_vips = dir + "/out-vips" + ext;
      const Run cli = best(2, {exe, "--device", "cpu", "--quality", "90", "--model", model, "-o", out_cli, in});
      const Run vips = best(2, {self, "--one", model, in, out_vips});
      g_autofree gchar *name = g_path_get_basename(in.c_str());
      const auto [mean, most] = difference(out_cli, out_vips);
      std::printf("| %s | %.2f / %.0f | %.2f / %.0f | %.2f / %.0f |\n", name, cli.wall, cli.rss_mb, vips.wall,
                  vips.rss_mb, mean, most);
      std::fflush(stdout);
    }
  }
  vips_shutdown();
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc == 5 && std::string(argv[1]) == "--one") return run_one(argv[0], argv[2], argv[3], argv[4]);
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s COLORIZE_EXE MODEL PHOTO WORKDIR [--skip-96]\n", argv[0]);
    return 2;
  }
  return run_driver(argv[0], argc, argv);
}
