// Mixed precision in training: the networks' forward passes under
// LibTorch's autocast, which runs convolutions and matrix products in
// bfloat16 and keeps the weights, gradients and the optimizer in float32.
// Backward passes follow the types the forward recorded; nothing else
// changes (losses, validation and export stay float32).
#pragma once

#include <torch/types.h>

#include "options.h"

namespace colorize::train {

/// Autocast to bfloat16 on `device`'s type for the scope's lifetime when
/// `precision` is Bfloat16; nothing otherwise. Leaving the scope turns
/// autocast off and drops its cache of bfloat16 weight copies, which the
/// next optimizer step makes stale. Autocast is a setting of the calling
/// thread: create and leave the scope on the thread that runs the forward.
class AutocastScope {
 public:
  AutocastScope(Precision precision, const torch::Device &device);
  ~AutocastScope();
  AutocastScope(const AutocastScope &) = delete;
  AutocastScope &operator=(const AutocastScope &) = delete;

 private:
  bool on_ = false;
  c10::DeviceType type_;
  bool was_enabled_ = false;
  c10::ScalarType was_dtype_ = c10::ScalarType::Undefined;
};

}  // namespace colorize::train
