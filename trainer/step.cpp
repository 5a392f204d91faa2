// One optimisation step over the parts of a batch: see step.h.
#include "step.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "class_head.h"
#include "nets.h"
#include "precision.h"

namespace colorize::train {
namespace {

void set_requires_grad(const torch::jit::Module &m, bool on) {
  for (auto p : m.parameters()) p.requires_grad_(on);
}

torch::Tensor gan_criterion(GanLoss kind, const torch::Tensor &pred, bool real) {
  auto target = real ? torch::ones_like(pred) : torch::zeros_like(pred);
  return kind == GanLoss::Bce ? torch::binary_cross_entropy_with_logits(pred, target)
                              : torch::mse_loss(pred, target);
}

/// Examples first .. first + n - 1 of `b`.
Batch slice(const Batch &b, int first, int n) {
  Batch s;
  s.n = n;
  s.size = b.size;
  s.x_channels = b.x_channels;
  s.y_channels = b.y_channels;
  auto range = [&](const auto &all, auto &part) {
    const size_t per = all.size() / size_t(b.n);
    part.assign(all.begin() + first * per, all.begin() + (first + n) * per);
  };
  range(b.x, s.x);
  range(b.y, s.y);
  if (!b.class_index.empty()) {
    range(b.class_index, s.class_index);
    range(b.class_weight, s.class_weight);
  }
  return s;
}

std::vector<torch::Tensor> copies(const std::vector<torch::Tensor> &tensors) {
  std::vector<torch::Tensor> out;
  for (const auto &t : tensors) out.push_back(t.detach().clone());
  return out;
}

/// Copies values into batch norm's running statistics the way batch norm
/// itself updates them: without counting as a change of a tensor that a
/// graph saved (batch norm saves them, its backward does not read them).
void assign(const std::vector<torch::Tensor> &to, const std::vector<torch::Tensor> &from) {
  for (size_t i = 0; i < to.size(); ++i) to[i].variable_data().copy_(from[i]);
}

bool ends_with(const std::string &s, const std::string &tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

struct Stepper::Part {
  Batch own;                     ///< the examples, when the batch is split
  const Batch *batch = nullptr;  ///< what the part trains on
  torch::Tensor x, y;            ///< on the device
};

struct Stepper::Forward {
  torch::Tensor fake, l1, class_term, content;
};

std::vector<torch::Tensor> batch_norm_statistics(const torch::jit::Module &m) {
  std::vector<torch::Tensor> out;
  for (const auto &b : m.named_buffers())
    if (ends_with(b.name, "bn_mean") || ends_with(b.name, "bn_var")) out.push_back(b.value);
  return out;
}

Stepper::Stepper(Nets &nets, const TrainOptions &o, const torch::Device &device, Distributed &dist, int parts)
    : nets_(nets), o_(o), device_(device), dist_(dist), parts_(parts), classes_(nets::has_class_head(nets.g)) {
  if (classes_) bin_weight_ = nets.g.attr("bin_weight").toTensor();
  for (const auto &p : nets.g.parameters()) g_params_.push_back(p);
  statistics_ = batch_norm_statistics(nets.g);
  if (nets.d) {
    for (const auto &p : nets.d->parameters()) d_params_.push_back(p);
    for (const auto &s : batch_norm_statistics(*nets.d)) statistics_.push_back(s);
  }
}

Stepper::Forward Stepper::generate(const Part &part) const {
  Forward f;
  torch::Tensor logits;
  {
    // The losses are computed in float32 from the network's outputs.
    AutocastScope autocast(o_.precision, device_);
    if (classes_) {
      auto heads = nets_.g.run_method("heads", part.x).toTuple();
      f.fake = heads->elements()[0].toTensor();
      logits = heads->elements()[1].toTensor();
    } else {
      f.fake = nets_.g.forward({part.x}).toTensor();
    }
  }
  f.fake = f.fake.to(torch::kFloat);
  if (classes_) f.class_term = class_loss(logits.to(torch::kFloat), *part.batch, bin_weight_);
  f.l1 = torch::l1_loss(f.fake, part.y);
  // The content loss: L1, plus the weighted class loss with a class head.
  f.content = classes_ ? f.l1 + o_.class_weight * f.class_term : f.l1;
  return f;
}

torch::Tensor Stepper::judge(const torch::Tensor &L, const torch::Tensor &ab) const {
  torch::Tensor scores;
  {
    AutocastScope autocast(o_.precision, device_);
    scores = nets_.d->forward({torch::cat({L, ab}, 1)}).toTensor();
  }
  return scores.to(torch::kFloat);
}

torch::Tensor Stepper::discriminator_loss(const Part &part, const torch::Tensor &fake) const {
  // The discriminator judges colours against L only, never the hints.
  const auto L = part.x.narrow(1, 0, 1);
  const auto pred_real = judge(L, part.y), pred_fake = judge(L, fake);
  return 0.5 * (gan_criterion(o_.gan_loss, pred_real, true) + gan_criterion(o_.gan_loss, pred_fake, false));
}

StepLosses Stepper::step(const Batch &batch, bool gan, int epoch) {
  std::vector<Part> parts(parts_);
  for (int p = 0; p < parts_; ++p) {
    Part &part = parts[p];
    if (parts_ > 1) part.own = slice(batch, p * (batch.n / parts_), batch.n / parts_);
    part.batch = parts_ > 1 ? &part.own : &batch;
    const Batch &b = *part.batch;
    part.x = torch::from_blob(const_cast<float *>(b.x.data()), {b.n, b.x_channels, b.size, b.size}, torch::kFloat)
                 .to(device_, torch::kFloat, false, true);
    part.y = torch::from_blob(const_cast<float *>(b.y.data()), {b.n, b.y_channels, b.size, b.size}, torch::kFloat)
                 .to(device_, torch::kFloat, false, true);
  }
  // Each part's batch-norm running statistics start from the step's.
  std::vector<std::vector<torch::Tensor>> statistics;
  for (int p = 0; parts_ > 1 && p < parts_; ++p) statistics.push_back(copies(statistics_));
  auto enter = [&](int p) { if (parts_ > 1) assign(statistics_, statistics[p]); };
  auto leave = [&](int p) { if (parts_ > 1) assign(statistics[p], statistics_); };

  StepLosses sum;
  std::vector<Forward> forward(parts_);
  for (int p = 0; p < parts_; ++p) {
    enter(p);
    forward[p] = generate(parts[p]);
    leave(p);
  }
  if (gan) {
    set_requires_grad(*nets_.d, true);
    nets_.opt_d->zero_grad();
    for (int p = 0; p < parts_; ++p) {
      enter(p);
      auto loss_d = discriminator_loss(parts[p], forward[p].fake.detach());
      loss_d.backward();
      sum.d += loss_d.item<double>();
      leave(p);
    }
    dist_.average_gradients(d_params_, parts_);
    nets_.opt_d->step();
    set_requires_grad(*nets_.d, false);
  }
  nets_.opt_g->zero_grad();
  for (int p = 0; p < parts_; ++p) {
    enter(p);
    torch::Tensor loss_g = forward[p].content;
    if (gan) {
      auto g_adv = gan_criterion(o_.gan_loss, judge(parts[p].x.narrow(1, 0, 1), forward[p].fake), true);
      loss_g = g_adv + o_.lambda_l1 * forward[p].content;
      sum.g_gan += g_adv.item<double>();
    }
    loss_g.backward();
    const double l1 = forward[p].l1.item<double>();
    if (!std::isfinite(l1) || !std::isfinite(loss_g.item<double>()))
      throw std::runtime_error("training diverged at epoch " + std::to_string(epoch) +
                               " (loss is not finite); try a lower --lr");
    sum.l1 += l1;
    if (classes_) sum.classes += forward[p].class_term.item<double>();
    leave(p);
  }
  dist_.average_gradients(g_params_, parts_);
  nets_.opt_g->step();

  if (parts_ > 1) {
    for (size_t i = 0; i < statistics_.size(); ++i) {
      torch::Tensor total = statistics[0][i].clone();
      for (int p = 1; p < parts_; ++p) total.add_(statistics[p][i]);
      statistics_[i].variable_data().copy_(total.div_(parts_));
    }
  }
  for (double *v : {&sum.l1, &sum.classes, &sum.g_gan, &sum.d}) *v /= parts_;
  return sum;
}

}  // namespace colorize::train
