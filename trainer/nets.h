// Pix2Pix networks built directly as TorchScript modules in C++
// (torch::jit::Module + register_parameter/buffer/module + define()), so
// they can be trained here and saved as model files that core loads exactly
// like Python-exported ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/script.h>

namespace colorize::nets {

/// How the decoder doubles the resolution: Pix2Pix's 4x4 stride-2
/// transposed convolutions, or nearest-neighbour x2 followed by a 3x3
/// convolution ("resize-convolution"), which cannot produce the checkerboard
/// that uneven kernel overlap gives transposed convolutions (a 1x1
/// convolution first brings the channels down to the block's output at low
/// resolution, which makes the block cheaper than a transposed one). In resize mode
/// the output head works at half resolution and its result is upsampled
/// bilinearly, so the last step is smooth by construction.
enum class Upsample { Transposed, Resize };

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
  Upsample upsample = Upsample::Transposed;
  /// Colour classes of the classification head (0 = none). Only with
  /// Upsample::Resize and 2 output channels; see build_unet().
  int classes = 0;
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
///
/// With config.classes = Q > 0, `bin_ab` ([Q, 2], the normalised a,b of each
/// colour class) is stored in the module, which then has a second head of Q
/// logits per pixel (at half resolution) beside the a,b regression head:
///  - `heads(x)` returns (regressed a,b [N,2,H,W], logits [N,Q,H/4,W/4]
///    of every other pixel of the head's half-resolution grid), for
///    training: the class loss is computed on those pixels only;
///  - `forward(x)` returns a,b = r + blend * (c - r), where r is the
///    regressed a,b and c the annealed mean of the classes,
///    sum_q softmax(logits / temperature)_q * bin_ab_q (Zhang et al. 2016),
///    computed from the logits of 2x2 means of the head's features (the
///    H/4 grid) and upsampled bilinearly to the head's resolution.
///    `blend` and `temperature` are float attributes (defaults 0.5, 0.38),
///    set at export (set_decoding()); the file keeps the L -> a,b contract.
/// The module also carries a `bin_weight` buffer [Q] (class rebalancing
/// weights, all 1 until the trainer sets them).
torch::jit::Module build_unet(const UNetConfig &config, const torch::Tensor &bin_ab = {});

/// Sets how forward() decodes the classification head (see build_unet()).
/// Throws std::invalid_argument for a module without one or values out of
/// range (blend in [0, 1], temperature in (0, 10]).
void set_decoding(torch::jit::Module &g, double blend, double temperature);

/// True when the generator has the classification head.
bool has_class_head(const torch::jit::Module &g);
/// Sets every floating-point parameter and buffer of `g` to its mean over
/// `g` and `others` (generators of the same shape, e.g. the checkpoints of
/// a run's last epochs: their average is usually more accurate than any one
/// of them). Throws std::invalid_argument when the shapes differ.
void average_weights(torch::jit::Module &g, const std::vector<torch::jit::Module> &others);
/// A generator built by this code from `config` carrying the parameters,
/// buffers, decoding attributes and mode of `trained` (a generator of the
/// same config, possibly saved by an earlier build whose forward() differs).
/// Throws std::invalid_argument when their tensors do not match.
torch::jit::Module rebuild_unet(const UNetConfig &config, const torch::jit::Module &trained);
torch::jit::Module build_patchgan(const PatchGanConfig &config);

/// Copies every parameter and buffer of `from` into the tensor of the same
/// name in `to` (converted to its type), for fine-tuning. A tensor of `to`
/// that has more input channels (dimension 1) than `from`'s, as the first
/// convolution of a hint-capable generator has over a plain one, takes
/// `from`'s values in its first channels and zeros in the others, so `to`
/// computes what `from` does as long as those extra inputs carry nothing.
/// Throws std::invalid_argument naming the first tensor that is missing
/// from `from` or does not fit.
void load_weights(torch::jit::Module &to, const torch::jit::Module &from);

/// Side multiple the U-Net needs: 2^depth.
int unet_size_multiple(const UNetConfig &config);

/// JSON object text describing the config (for colorize.json's
/// "architecture").
std::string to_json(const UNetConfig &config);

/// Sets the `training` attribute of a module and all its submodules (what
/// Module::train()/eval() do, spelled out for clarity).
void set_training(torch::jit::Module &module, bool training);

}  // namespace colorize::nets
