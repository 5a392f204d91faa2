// See precision.h.
#include "precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace colorize::train {
namespace {

// LibTorch 2.4 made the autocast switches take a device type; before,
// each device type had functions of its own (CPU and CUDA here).
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool enabled(c10::DeviceType t) { return at::autocast::is_autocast_enabled(t); }
void set_enabled(c10::DeviceType t, bool on) { at::autocast::set_autocast_enabled(t, on); }
c10::ScalarType dtype(c10::DeviceType t) { return at::autocast::get_autocast_dtype(t); }
void set_dtype(c10::DeviceType t, c10::ScalarType s) { at::autocast::set_autocast_dtype(t, s); }
#else
bool cpu(c10::DeviceType t) { return t == c10::DeviceType::CPU; }
bool enabled(c10::DeviceType t) { return cpu(t) ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled(); }
void set_enabled(c10::DeviceType t, bool on) {
  cpu(t) ? at::autocast::set_cpu_enabled(on) : at::autocast::set_enabled(on);
}
c10::ScalarType dtype(c10::DeviceType t) {
  return cpu(t) ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
}
void set_dtype(c10::DeviceType t, c10::ScalarType s) {
  cpu(t) ? at::autocast::set_autocast_cpu_dtype(s) : at::autocast::set_autocast_gpu_dtype(s);
}
#endif

}  // namespace

AutocastScope::AutocastScope(Precision precision, const torch::Device &device) : type_(device.type()) {
  if (precision != Precision::Bfloat16) return;
  on_ = true;
  was_enabled_ = enabled(type_);
  was_dtype_ = dtype(type_);
  set_dtype(type_, c10::ScalarType::BFloat16);
  set_enabled(type_, true);
}

AutocastScope::~AutocastScope() {
  if (!on_) return;
  set_enabled(type_, was_enabled_);
  set_dtype(type_, was_dtype_);
  if (!was_enabled_) at::autocast::clear_cache();
}

}  // namespace colorize::train
