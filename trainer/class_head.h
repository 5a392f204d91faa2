// The colour-class head's training side: the class centres as a tensor for
// the generator, and the rebalanced soft cross-entropy (Zhang, Isola, Efros
// 2016) against a batch's targets.
#pragma once

#include <torch/torch.h>

#include "data.h"

namespace colorize::train {

/// The colour classes' a,b centres [Q, 2], normalised like the network's
/// output (ab / ab_scale).
torch::Tensor bin_ab_tensor();

/// Rebalanced cross-entropy of the class logits of heads() [N,Q,h,w]
/// against the batch's soft targets (Batch::class_index / class_weight, of
/// the same h x w): -sum_q target_q log softmax(logits)_q per pixel, each
/// pixel weighted by its nearest class's rebalancing weight (`bin_weight`,
/// [Q]), averaged over pixels (Zhang et al. 2016, eq. 2 and 3).
torch::Tensor class_loss(const torch::Tensor &logits, const Batch &b, const torch::Tensor &bin_weight);

/// Checks that a generator's colour classes (its `bin_kernel`) are this
/// program's (AbBins::gamut()), so that targets and decoding agree; throws
/// std::runtime_error naming `origin` otherwise.
void check_classes(const torch::jit::Module &g, const std::string &origin);

}  // namespace colorize::train
