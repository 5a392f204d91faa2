// Pix2Pix networks built directly as TorchScript modules in C++
// (torch::jit::Module + register_parameter/buffer/module + define()), so
// they can be trained here and saved as model files that core loads exactly
// like Python-exported ones.
#pragma once

#include <cstdint>
#include <string>

#include <torch/script.h>

namespace colorize::nets {

/// U-Net generator (Pix2Pix) or, with skips = false, the plain
/// encoder-decoder "beta" baseline.
struct UNetConfig {
  int depth = 8;            ///< down/up levels; input side must be a multiple of 2^depth
  int width = 64;           ///< filters of the first level (doubles, capped at 8x)
  int in_channels = 1;      ///< L
  int out_channels = 2;     ///< a,b (2) or R,G,B (3)
  int dropout_blocks = 3;   ///< innermost decoder blocks with dropout
  double dropout = 0.5;
  bool skips = true;        ///< false = autoencoder without skip connections
};

/// PatchGAN discriminator: `layers` strided 4x4 convs (width, 2w, 4w...),
/// one stride-1 conv of 8w (capped), then a 1-channel output. With the
/// defaults (3 layers, 64) its receptive field is 70 x 70.
struct PatchGanConfig {
  int in_channels = 3;      ///< L + a,b (or L + R,G,B = 4)
  int width = 64;
  int layers = 3;
};

/// Builds the generator with weights drawn from N(0, 0.02) (batch-norm
/// weights from N(1, 0.02), biases 0), using torch's global RNG.
torch::jit::Module build_unet(const UNetConfig &config);
torch::jit::Module build_patchgan(const PatchGanConfig &config);

/// Side multiple the U-Net needs: 2^depth.
int unet_size_multiple(const UNetConfig &config);

/// JSON object text describing the config (for colorize.json's
/// "architecture").
std::string to_json(const UNetConfig &config);

/// Sets the `training` attribute of a module and all its submodules (what
/// Module::train()/eval() do, spelled out for clarity).
void set_training(torch::jit::Module &module, bool training);

}  // namespace colorize::nets
