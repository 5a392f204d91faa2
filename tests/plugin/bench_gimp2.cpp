// Benchmark: the GIMP 2.10 plug-in's own overhead (GEGL reads and writes,
// strips, shadow merge) over the core pipeline alone, on a 24-megapixel
// layer with the standard Pix2Pix generator (54 M parameters, untrained:
// weights do not change speed).
//
//   bench-plugin-gimp2 PLUGIN_BINARY GIMP_PLUGIN_DIR WORKDIR [WIDTH HEIGHT]
//
// Core alone: colorize::colorize_image on the picture in memory (infer +
// apply in 256-row strips). Plug-in: headless gimp-console-2.10 loads the
// same PNG, then plug-in-colorize-pix2pix runs on it; the plug-in's own
// debug timings (G_MESSAGES_DEBUG) give the time from "model loaded" to
// "shadow merged", which is compared with the core time. Medians of 3.
// Only meaningful on an otherwise idle machine.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include <glib.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "colorize/model.h"
#include "colorize/pipeline.h"
#include "nets.h"

namespace {

constexpr int kRuns = 3;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string make_model(const std::string &dir) {
  const std::string path = dir + "/unet-standard.pt";
  if (g_file_test(path.c_str(), G_FILE_TEST_EXISTS)) return path;
  colorize::nets::UNetConfig config;  // Pix2Pix paper defaults
  torch::jit::Module module = colorize::nets::build_unet(config);
  colorize::nets::set_training(module, false);
  colorize::ModelInfo info;
  info.name = "untrained standard U-Net (benchmark)";
  info.input_size = 256;
  info.size_multiple = colorize::nets::unet_size_multiple(config);
  module.save(path, {{colorize::kMetadataFileName,
                      colorize::serialize_model_info(info)}});
  return path;
}

// A gray picture with detail and grain, as a gray-content RGB PNG.
std::string make_picture(const std::string &dir, cv::Size size) {
  const std::string path = dir + "/picture-" + std::to_string(size.width) +
                           "x" + std::to_string(size.height) + ".png";
  if (g_file_test(path.c_str(), G_FILE_TEST_EXISTS)) return path;
  cv::Mat gray(size, CV_8UC1);
  cv::randu(gray, 0, 255);
  cv::GaussianBlur(gray, gray, cv::Size(0, 0), 3.0);
  cv::Mat rgb;
  cv::cvtColor(gray, rgb, cv::COLOR_GRAY2BGR);
  cv::imwrite(path, rgb, {cv::IMWRITE_PNG_COMPRESSION, 1});
  return path;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

// colorize_image's work, timed by phase: infer, then apply in 256-row
// strips into an output picture.
double core_seconds(const std::string &model_path, const cv::Mat &image) {
  colorize::Model model = colorize::Model::load(model_path);
  auto t0 = std::chrono::steady_clock::now();
  colorize::AbMap map = colorize::infer(model, image, image.size());
  const double infer = seconds_since(t0);
  cv::Mat out(image.size(), image.type());
  for (int y = 0; y < image.rows; y += 256) {
    const cv::Range rows(y, std::min(image.rows, y + 256));
    cv::Mat strip = out.rowRange(rows);
    colorize::apply(map, image.rowRange(rows), y, strip);
  }
  const double total = seconds_since(t0);
  std::printf("core alone: infer %.3f s, apply %.3f s, total %.3f s\n",
              infer, total - infer, total);
  return total;
}

std::string run_gimp(const std::string &plugin, const std::string &system_dir,
                     const std::string &dir, const std::string &model,
                     const std::string &picture) {
  const std::string plugins = dir + "/plug-ins";
  const std::string own = plugins + "/gimp-colorize-pix2pix";
  g_mkdir_with_parents(own.c_str(), 0700);
  unlink((own + "/gimp-colorize-pix2pix").c_str());
  gchar *target = g_canonicalize_filename(plugin.c_str(), nullptr);
  int linked = symlink(target, (own + "/gimp-colorize-pix2pix").c_str());
  g_free(target);
  if (linked != 0)
    g_error("cannot link %s into %s", plugin.c_str(), own.c_str());
  const std::string profile = dir + "/profile";
  const std::string rm = "rm -rf '" + profile + "'";
  if (std::system(rm.c_str()) != 0) g_error("%s failed", rm.c_str());
  const std::string rc = dir + "/bench.gimprc";
  g_file_set_contents(rc.c_str(), ("(plug-in-path \"" + profile +
                                   "/plug-ins:" + system_dir + ":" + plugins +
                                   "\")\n").c_str(), -1, nullptr);
  std::string script = "(let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"" +
                       picture + "\" \"p.png\"))) (d (car "
                       "(gimp-image-get-active-drawable img))))";
  for (int i = 0; i < kRuns; ++i)
    script += " (plug-in-colorize-pix2pix RUN-NONINTERACTIVE img d \"" +
              model + "\" 1 0 1.0 0)";
  script += ")";
  const std::string rc_arg = "--gimprc=" + rc;
  std::vector<const char *> argv = {
    "timeout", "1200", "gimp-console-2.10", "-i", "-d", "-f", rc_arg.c_str(),
    "-b", script.c_str(), "-b", "(gimp-quit 0)", nullptr};
  gchar **envp = g_get_environ();
  envp = g_environ_setenv(envp, "GIMP2_DIRECTORY", profile.c_str(), TRUE);
  envp = g_environ_setenv(envp, "G_MESSAGES_DEBUG", "gimp-colorize-pix2pix",
                          TRUE);
  gchar *out = nullptr, *err = nullptr;
  GError *error = nullptr;
  if (!g_spawn_sync(dir.c_str(), const_cast<gchar **>(argv.data()), envp,
                    G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, &err,
                    nullptr, &error))
    g_error("cannot run GIMP: %s", error->message);
  g_strfreev(envp);
  std::string log = std::string(out) + err;
  g_free(out);
  g_free(err);
  return log;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 4 && argc != 6) {
    std::fprintf(stderr, "usage: %s PLUGIN GIMP_PLUGIN_DIR WORKDIR "
                 "[WIDTH HEIGHT]\n", argv[0]);
    return 2;
  }
  gchar *gimp = g_find_program_in_path("gimp-console-2.10");
  if (!gimp) {
    std::printf("SKIP: gimp-console-2.10 is not installed\n");
    return 77;
  }
  g_free(gimp);
  const std::string dir = argv[3];
  g_mkdir_with_parents(dir.c_str(), 0700);
  cv::Size size(6000, 4000);
  if (argc == 6) size = cv::Size(std::atoi(argv[4]), std::atoi(argv[5]));

  const std::string model = make_model(dir);
  const std::string picture = make_picture(dir, size);
  std::printf("picture: %s (%.1f MP), model: %s\n", picture.c_str(),
              size.area() / 1e6, model.c_str());

  cv::Mat image = cv::imread(picture, cv::IMREAD_COLOR);
  cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
  std::vector<double> core;
  for (int i = 0; i < kRuns; ++i) core.push_back(core_seconds(model, image));
  image.release();

  const std::string log = run_gimp(argv[1], argv[2], dir, model, picture);
  // per run: plug-in total, and the time spent inside core calls
  std::vector<double> plugin, inside;
  const std::regex total("model load ([0-9.]+) s, colorize \\+ merge "
                         "([0-9.]+) s\\s+[^\\n]*peak RSS ([^\\n]*)");
  const std::regex phases("infer ([0-9.]+) s \\(of which reading at scale "
                          "[0-9.]+: ([0-9.]+) s\\).*apply ([0-9.]+) s.*");
  for (std::sregex_iterator it(log.begin(), log.end(), total), end;
       it != end; ++it) {
    plugin.push_back(std::stod((*it)[2]));
    std::printf("plug-in: model load %s s, peak RSS %s\n",
                (*it)[1].str().c_str(), (*it)[3].str().c_str());
  }
  for (std::sregex_iterator it(log.begin(), log.end(), phases), end;
       it != end; ++it) {
    std::printf("plug-in phases: %s\n", it->str().c_str());
    inside.push_back(std::stod((*it)[1]) - std::stod((*it)[2]) +
                     std::stod((*it)[3]));
  }
  if (plugin.size() != static_cast<size_t>(kRuns) ||
      inside.size() != plugin.size()) {
    std::fprintf(stderr, "expected %d plug-in timings, GIMP said:\n%s\n",
                 kRuns, log.c_str());
    return 1;
  }
  const double c = median(core), p = median(plugin);
  std::printf("core pipeline alone: %.2f s (median of %d)\n", c, kRuns);
  std::printf("plug-in, model loaded -> shadow merged: %.2f s (median of %d)"
              "\n", p, kRuns);
  std::printf("plug-in overhead: %+.1f %% (target <= 20 %%)\n",
              100.0 * (p / c - 1.0));
  // Less sensitive to a busy machine: what the plug-in spends outside the
  // core calls (GEGL reads and writes, tile transfers, merge) in the same run.
  std::vector<double> outside;
  for (size_t i = 0; i < plugin.size(); ++i)
    outside.push_back(plugin[i] - inside[i]);
  std::printf("plug-in time outside core calls: %.2f s (median) = %.1f %% "
              "of the core alone\n", median(outside),
              100.0 * median(outside) / c);
  return 0;
}
