// The colour-class head's training side: see class_head.h.
#include "class_head.h"

#include <stdexcept>
#include <string>

#include "ab_bins.h"
#include "colorize/metadata.h"

namespace colorize::train {

torch::Tensor bin_ab_tensor() {
  const AbBins &bins = AbBins::gamut();
  const double scale = Normalization{}.ab_scale;
  auto t = torch::empty({bins.size(), 2});
  for (int i = 0; i < bins.size(); ++i)
    for (int k = 0; k < 2; ++k) t[i][k] = bins.centres()[i][k] / scale;
  return t;
}

torch::Tensor class_loss(const torch::Tensor &logits, const Batch &b, const torch::Tensor &bin_weight) {
  const int64_t n = logits.size(0), q = logits.size(1), h = logits.size(2), w = logits.size(3);
  if (b.class_index.size() != size_t(n * AbBins::kNeighbours * h * w) || b.n != n)
    throw std::invalid_argument("class_loss: the batch's class targets do not match the logits' shape");
  const auto device = logits.device();
  auto index = torch::from_blob(const_cast<int32_t *>(b.class_index.data()), {n, AbBins::kNeighbours, h, w},
                                torch::kInt)
                   .to(device, torch::kLong);
  auto weight = torch::from_blob(const_cast<float *>(b.class_weight.data()), {n, AbBins::kNeighbours, h, w},
                                 torch::kFloat)
                    .to(device);
  auto target = torch::zeros({n, q, h, w}, logits.options()).scatter_add_(1, index, weight);
  auto per_pixel = -(target * torch::log_softmax(logits, 1)).sum(1);
  auto pixel_weight = bin_weight.to(device).index({index.select(1, 0)});
  return (per_pixel * pixel_weight).mean();
}

void check_classes(const torch::jit::Module &g, const std::string &origin) {
  const auto stored = g.attr("bin_kernel").toTensor().to(torch::kCPU, torch::kFloat).reshape({2, -1}).t();
  const auto ours = bin_ab_tensor();
  // float16 files round the centres to ~1e-3 of a normalised unit.
  if (!stored.sizes().equals(ours.sizes()) || !torch::allclose(stored, ours, 0.0, 2e-3))
    throw std::runtime_error(origin + ": the generator's " + std::to_string(stored.size(0)) +
                             " colour classes are not this program's " + std::to_string(ours.size(0)) +
                             " (made by another version of colorize-train)");
}

}  // namespace colorize::train
