// `colorize-train eval`: the model against the grayscale baseline on a
// folder of colour photos, through the same core pipeline the CLI and the
// plug-in use.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <opencv2/imgcodecs.hpp>

#include "colorize/model.h"
#include "colorize/pipeline.h"
#include "data.h"
#include "metrics.h"
#include "report.h"
#include "train.h"

namespace colorize::train {
namespace {

/// Grid cells are square centre crops of this side.
constexpr int kGridCell = 192;

}  // namespace

int run_eval(const EvalOptions &o) {
  std::vector<std::string> paths = list_images(o.data_dir);
  if (paths.empty()) throw UsageError(o.data_dir + ": no photos found (JPEG, PNG, TIFF, WebP)");
  LoadOptions load;
  load.device = parse_device(o.device);
  load.threads = o.threads;
  const Model model = Model::load(o.model, load);
  InferOptions infer;
  infer.resolution = o.resolution;
  infer.order = ChannelOrder::Bgr;
  ApplyOptions apply;
  apply.order = ChannelOrder::Bgr;

  ScoreSums model_sums, gray_sums;
  double original_colorfulness = 0;
  int skipped = 0;
  std::vector<std::vector<cv::Mat>> grid_rows(3);
  for (const auto &path : paths) {
    if (o.max_images > 0 && model_sums.n >= o.max_images) break;
    cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
    if (img.empty()) {
      std::cerr << "warning: skipping " << path << ": cannot decode\n";
      ++skipped;
      continue;
    }
    if (is_grayscale(img)) {
      std::cerr << "warning: skipping " << path << ": grayscale photo\n";
      ++skipped;
      continue;
    }
    const cv::Mat result = colorize_image(model, img, infer, apply);
    model_sums.add(score(img, result));
    const cv::Mat gray = grayscale_bgr8(img);
    gray_sums.add(score(img, gray));
    original_colorfulness += colorfulness(img);
    if (!o.grid.empty() && int(grid_rows[0].size()) < o.grid_count) {
      grid_rows[0].push_back(center_crop(img, kGridCell));
      grid_rows[1].push_back(center_crop(gray, kGridCell));
      grid_rows[2].push_back(center_crop(result, kGridCell));
    }
  }
  if (model_sums.n == 0) throw UsageError(o.data_dir + ": no usable colour photos");
  const Scores m = model_sums.mean(), g = gray_sums.mean();
  const int resolution = o.resolution > 0 ? o.resolution : model.info().input_size;
  std::printf("model %s, %d photos from %s, working resolution %d (%d skipped)\n", o.model.c_str(), model_sums.n,
              o.data_dir.c_str(), resolution, skipped);
  std::printf("%-22s %10s %10s %14s\n", "", "PSNR (dB)", "dE (a,b)", "colourfulness");
  std::printf("%-22s %10.2f %10.2f %14.1f\n", "model", m.psnr, m.delta_ab, m.colorfulness);
  std::printf("%-22s %10.2f %10.2f %14.1f\n", "grayscale (a=b=0)", g.psnr, g.delta_ab, g.colorfulness);
  std::printf("%-22s %10s %10s %14.1f\n", "originals", "-", "-", original_colorfulness / model_sums.n);
  std::fflush(stdout);
  if (!o.grid.empty()) {
    const std::string caption = std::filesystem::path(o.model).filename().string() + ", working resolution " + std::to_string(resolution);
    write_image_atomic(o.grid, sample_grid({grid_rows}, {"held-out photos"}, {"real", "input", "result"}, caption));
  }
  return 0;
}

}  // namespace colorize::train
