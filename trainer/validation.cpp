// Validation scores and sample grids: see validation.h.
#include "validation.h"

#include <algorithm>

#include "colorize/color.h"
#include "colorize/pipeline.h"
#include "hints.h"
#include "nets.h"
#include "report.h"

namespace colorize::train {

Validator::Validator(const std::vector<Photo> &train, const std::vector<Photo> &val, const TrainOptions &o)
    : space_(o.space), batch_(std::max(1, o.batch)) {
  // A hint-capable generator is validated without hints: the automatic
  // colours users get when they give none.
  std::mt19937_64 unused;
  auto example = [&](const cv::Mat &bgr) {
    Example e = make_example(center_crop(bgr, o.size), o.space);
    if (o.hints) add_hints(e, 0, unused);
    return e;
  };
  for (const auto &p : val) val_.push_back(example(p.bgr));
  const size_t n = std::min<size_t>(o.num_samples, val_.size());
  for (size_t i = 0; i < n; ++i) val_samples_.push_back(val_[i * val_.size() / n]);
  const size_t m = std::min<size_t>(o.num_samples, train.size());
  for (size_t i = 0; i < m; ++i) train_samples_.push_back(example(train[i * train.size() / m].bgr));
}

Scores Validator::grayscale_baseline() const {
  ScoreSums sums;
  for (const auto &e : val_) sums.add(train::score(e.bgr8, grayscale_bgr8(e.bgr8)));
  return sums.mean();
}

double Validator::original_colorfulness() const {
  double sum = 0;
  for (const auto &e : val_) sum += colorfulness(e.bgr8);
  return val_.empty() ? 0 : sum / val_.size();
}

cv::Mat result_bgr8(const cv::Mat &original_bgr8, const cv::Mat &output, Space space) {
  AbMap map;
  map.image_size = original_bgr8.size();
  if (space == Space::Lab) {
    map.ab = denormalize_ab(output, Normalization{});
  } else {
    cv::Mat pred_lab = rgb_to_lab(rgb_from_network(output), ChannelOrder::Rgb);
    const int from_to[] = {1, 0, 2, 1};
    map.ab.create(pred_lab.size(), CV_32FC2);
    cv::mixChannels(&pred_lab, 1, &map.ab, 1, from_to, 2);
  }
  // The photo's own L with the predicted a,b, composed by core as for users
  // (gamut mapping included).
  ApplyOptions options;
  options.order = ChannelOrder::Bgr;
  cv::Mat out;
  apply(map, original_bgr8, 0, out, options);
  return out;
}

std::vector<cv::Mat> Validator::colorize(torch::jit::Module &g, const torch::Device &device,
                                         const std::vector<Example> &examples) const {
  std::vector<cv::Mat> out;
  if (examples.empty()) return out;
  nets::set_training(g, false);
  torch::NoGradGuard no_grad;
  for (size_t start = 0; start < examples.size(); start += batch_) {
    const size_t end = std::min(examples.size(), start + batch_);
    std::vector<Example> part(examples.begin() + start, examples.begin() + end);
    Batch b = make_batch(part);
    auto x = torch::from_blob(b.x.data(), {b.n, b.x_channels, b.size, b.size}, torch::kFloat).to(device);
    auto y = g.forward({x}).toTensor().to(torch::kCPU, torch::kFloat).contiguous();
    const int c = int(y.size(1));
    for (int i = 0; i < b.n; ++i) {
      std::vector<cv::Mat> planes;
      for (int k = 0; k < c; ++k)
        planes.emplace_back(b.size, b.size, CV_32FC1, y[i][k].data_ptr<float>());
      cv::Mat merged;
      cv::merge(planes, merged);
      out.push_back(result_bgr8(part[i].bgr8, merged, space_));
    }
  }
  return out;
}

Scores Validator::score(torch::jit::Module &g, const torch::Device &device) const {
  const auto results = colorize(g, device, val_);
  ScoreSums sums;
  for (size_t i = 0; i < results.size(); ++i) sums.add(train::score(val_[i].bgr8, results[i]));
  return sums.mean();
}

cv::Mat Validator::sample_grid(torch::jit::Module &g, const torch::Device &device,
                               const std::string &caption) const {
  std::vector<std::vector<std::vector<cv::Mat>>> blocks;
  std::vector<std::string> titles;
  auto add_block = [&](const std::vector<Example> &ex, const std::string &title) {
    if (ex.empty()) return;
    std::vector<std::vector<cv::Mat>> rows(3);
    const auto results = colorize(g, device, ex);
    for (size_t i = 0; i < ex.size(); ++i) {
      rows[0].push_back(ex[i].bgr8);
      rows[1].push_back(grayscale_bgr8(ex[i].bgr8));
      rows[2].push_back(results[i]);
    }
    blocks.push_back(rows);
    titles.push_back(title);
  };
  add_block(val_samples_, "validation photos");
  add_block(train_samples_, "training photos");
  return train::sample_grid(blocks, titles, {"real", "input", "result"}, caption);
}

}  // namespace colorize::train
