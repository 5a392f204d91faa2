// `colorize-train eval`: the model against the grayscale baseline on
// folders of colour photos, through the same core pipeline the CLI and the
// plug-in use.
#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>

#include "colorize/model.h"
#include "colorize/pipeline.h"
#include "data.h"
#include "dataset.h"
#include "hints.h"
#include "metrics.h"
#include "report.h"
#include "train.h"

namespace fs = std::filesystem;

namespace colorize::train {
namespace {

/// Grid cells are square centre crops of this side.
constexpr int kGridCell = 192;
/// Simulated hints a hint model is also scored with (besides none).
constexpr int kHintCounts[] = {1, 5, 10};

/// The photos of the --data folders, only those named by --list if given.
std::vector<std::string> eval_paths(const EvalOptions &o) {
  std::vector<std::string> paths;
  for (const auto &dir : o.data_dirs) {
    const auto found = list_images(dir);
    paths.insert(paths.end(), found.begin(), found.end());
  }
  std::sort(paths.begin(), paths.end());
  if (!o.list.empty()) {
    const auto names = read_name_list(o.list);
    const std::set<std::string> wanted(names.begin(), names.end());
    std::vector<std::string> kept;
    for (const auto &p : paths)
      if (wanted.count(fs::path(p).filename().string())) kept.push_back(p);
    if (kept.size() < wanted.size())
      std::cerr << "warning: " << wanted.size() - kept.size() << " of the " << wanted.size() << " photos named in "
                << o.list << " are not in the --data folders\n";
    paths = kept;
  }
  if (o.max_images > 0 && int(paths.size()) > o.max_images) paths.resize(o.max_images);
  if (paths.empty()) throw UsageError(o.data_dirs.front() + ": no photos found (JPEG, PNG, TIFF, WebP)");
  return paths;
}

void print_row(const char *name, const Scores &s, bool compared) {
  if (compared)
    std::printf("%-20s %9.2f %9.2f %14.1f %8.2f %8.2f\n", name, s.psnr, s.delta_ab, s.colorfulness, s.ripple,
                s.l_error);
  else
    std::printf("%-20s %9s %9s %14.1f %8.2f %8s\n", name, "-", "-", s.colorfulness, s.ripple, "-");
}

/// Rows of `columns` photos: real / grayscale / result blocks.
cv::Mat contact_sheet(const std::vector<std::array<cv::Mat, 3>> &cells, int columns, const std::string &caption) {
  std::vector<std::vector<std::vector<cv::Mat>>> blocks;
  std::vector<std::string> titles;
  for (size_t start = 0; start < cells.size(); start += columns) {
    std::vector<std::vector<cv::Mat>> rows(3);
    for (size_t i = start; i < std::min(cells.size(), start + columns); ++i)
      for (int r = 0; r < 3; ++r) rows[r].push_back(cells[i][r]);
    blocks.push_back(rows);
    titles.push_back("held-out photos " + std::to_string(start + 1) + "-" +
                     std::to_string(std::min(cells.size(), start + columns)));
  }
  return sample_grid(blocks, titles, {"real", "input", "result"}, caption);
}

}  // namespace

int run_eval(const EvalOptions &o) {
  const std::vector<std::string> paths = eval_paths(o);
  LoadOptions load;
  load.device = parse_device(o.device);
  set_cpu_threads(o.threads);
  const Model model = Model::load(o.model, load);
  InferOptions infer;
  infer.resolution = o.resolution;
  infer.order = ChannelOrder::Bgr;
  ApplyOptions apply;
  apply.order = ChannelOrder::Bgr;

  // Grid photos: spread evenly over the set.
  std::set<size_t> in_grid;
  if (!o.grid.empty())
    for (int k = 0; k < o.grid_count; ++k) in_grid.insert(size_t(k) * paths.size() / size_t(o.grid_count));
  ScoreSums model_sums, gray_sums, original_sums;
  std::vector<ScoreSums> hinted_sums(model.info().hints ? std::size(kHintCounts) : 0);
  const int resolution = working_resolution(model.info(), infer);
  int skipped = 0;
  std::vector<std::array<cv::Mat, 3>> cells;
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string &path = paths[i];
    std::string reason;
    cv::Mat img = read_photo(path, reason);
    if (img.empty()) {
      std::cerr << "warning: skipping " << path << ": " << reason << "\n";
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
    for (size_t k = 0; k < hinted_sums.size(); ++k) {
      std::mt19937_64 rng(uint64_t(i) * 7919 + uint64_t(kHintCounts[k]));  // the same hints for every model
      InferOptions hinted = infer;
      hinted.hints = hint_picture(img, working_size(img.size(), resolution), kHintCounts[k], rng);
      hinted.hint_order = ChannelOrder::Bgr;
      hinted_sums[k].add(score(img, colorize_image(model, img, hinted, apply)));
    }
    const cv::Mat gray = grayscale_bgr8(img);
    gray_sums.add(score(img, gray));
    original_sums.add({0, 0, colorfulness(img), chroma_ripple(img), 0});
    if (in_grid.count(i))
      cells.push_back({center_crop(img, kGridCell), center_crop(gray, kGridCell), center_crop(result, kGridCell)});
  }
  if (model_sums.n == 0) throw UsageError(o.data_dirs.front() + ": no usable colour photos");
  std::printf("model %s, %d photos, working resolution %d (%d skipped)\n", o.model.c_str(), model_sums.n,
              resolution, skipped);
  std::printf("%-20s %9s %9s %14s %8s %8s\n", "", "PSNR (dB)", "dE (a,b)", "colourfulness", "ripple", "L error");
  print_row(hinted_sums.empty() ? "model" : "model, no hints", model_sums.mean(), true);
  for (size_t k = 0; k < hinted_sums.size(); ++k) {
    const std::string row = "model, " + std::to_string(kHintCounts[k]) + (kHintCounts[k] == 1 ? " hint" : " hints");
    print_row(row.c_str(), hinted_sums[k].mean(), true);
  }
  print_row("grayscale (a=b=0)", gray_sums.mean(), true);
  print_row("originals", original_sums.mean(), false);
  std::fflush(stdout);
  if (!o.grid.empty() && !cells.empty()) {
    const std::string caption =
        fs::path(o.model).filename().string() + ", working resolution " + std::to_string(resolution);
    write_image_atomic(o.grid, contact_sheet(cells, o.grid_columns, caption));
  }
  return 0;
}

}  // namespace colorize::train
