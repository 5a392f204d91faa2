// One optimisation step of the training loop: the generator (and in the GAN
// phase first the discriminator) on this process's share of a batch, in one
// or more parts one after another (gradient accumulation), with the
// gradients averaged over the parts and over the processes of a
// data-parallel run (distributed.h).
//
// Batch norm sees the examples of one part of one process at a time. A part
// therefore trains the same way whether it runs beside the others in another
// process or after them in this one: one process with --accumulate N equals
// N processes with the same --batch, up to the order of floating-point sums
// (the tests use this). Batch norm's running statistics follow suit: each
// part updates them from the values of the step's start, and the step keeps
// the parts' mean (a data-parallel run averages them over the processes
// before validation and checkpoints, which comes to the same by linearity).
#pragma once

#include <vector>

#include <torch/torch.h>

#include "data.h"
#include "distributed.h"
#include "model_io.h"
#include "options.h"

namespace colorize::train {

/// Mean losses of a step's parts.
struct StepLosses {
  double l1 = 0, classes = 0, g_gan = 0, d = 0;
};

/// Batch norm's running statistics (running means and variances) of `m`.
std::vector<torch::Tensor> batch_norm_statistics(const torch::jit::Module &m);

class Stepper {
 public:
  /// `parts`: how many parts each call of step() trains one after another.
  Stepper(Nets &nets, const TrainOptions &o, const torch::Device &device, Distributed &dist, int parts);

  /// Trains on `batch` (this process's share of a batch): with `gan`, the
  /// discriminator, then the generator against it. Throws
  /// std::runtime_error naming `epoch` (1-based) when a loss is not finite.
  StepLosses step(const Batch &batch, bool gan, int epoch);

 private:
  struct Part;
  struct Forward;
  Forward generate(const Part &part) const;
  torch::Tensor discriminator_loss(const Part &part, const torch::Tensor &fake) const;
  /// The discriminator's patch scores of L and a,b (at the run's
  /// precision), as float32.
  torch::Tensor judge(const torch::Tensor &L, const torch::Tensor &ab) const;

  Nets &nets_;
  const TrainOptions &o_;
  torch::Device device_;
  Distributed &dist_;
  const int parts_;
  const bool classes_;
  torch::Tensor bin_weight_;
  std::vector<torch::Tensor> g_params_, d_params_, statistics_;
};

}  // namespace colorize::train
