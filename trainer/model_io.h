// Checkpoints (generator + discriminator as TorchScript, optimizer states
// and the torch RNG state via torch::save, state.json) and model-file export
// (TorchScript + colorize.json). Everything is written to a temporary name
// first and renamed, so a killed run never leaves a half-written file.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>

#include <torch/optim/adam.h>
#include <torch/script.h>

#include "colorize/metadata.h"
#include "nets.h"
#include "state.h"

namespace colorize::train {

/// Generator config of a run (arch, depth, width, colour space).
nets::UNetConfig unet_config(const TrainOptions &o);
/// Discriminator config of a run.
nets::PatchGanConfig patchgan_config(const TrainOptions &o);

/// out/checkpoints/epoch-NNNN
std::string checkpoint_dir(const std::string &out_dir, int epoch);

/// Most recent checkpoint folder under out_dir that has its state.json and
/// optimizer state (empty if none); the files are not read: --resume uses
/// resume_checkpoint, which loads them.
std::string latest_checkpoint(const std::string &out_dir);

struct Nets {
  torch::jit::Module g;
  std::optional<torch::jit::Module> d;  ///< absent for L1-only runs
  std::unique_ptr<torch::optim::Adam> opt_g, opt_d;
};

/// Adam over the parameters of `m` with the run's learning rate and betas.
std::unique_ptr<torch::optim::Adam> make_adam(const torch::jit::Module &m, const TrainOptions &o);

/// Saves the checkpoint of `state.epoch` atomically (temp folder + rename;
/// an existing folder of that epoch, e.g. a damaged one a resumed run reaches
/// again, is swapped out in one step and only then removed).
/// Older checkpoints keep only generator.pt + state.json (enough to export
/// them); the latest `keep_full` keep everything.
void save_checkpoint(const std::string &out_dir, const TrainState &state, Nets &nets, int keep_full = 2);

/// State of a checkpoint folder (state.json). Throws std::runtime_error.
TrainState load_state(const std::string &dir);
/// A TorchScript file on the CPU; throws std::runtime_error naming it.
torch::jit::Module load_module(const std::string &path);
/// Generator of a checkpoint folder, on the CPU.
torch::jit::Module load_generator(const std::string &dir);

/// Everything a run continues from, loaded on the CPU.
struct LoadedCheckpoint {
  std::string dir;
  TrainState state;   ///< as saved (the run's options, not merged with a command line)
  Nets nets;          ///< modules, and optimizers over their parameters holding the saved moments
  torch::Tensor rng;  ///< torch's CPU generator state; set it once the run is set up
};

/// Every part of the checkpoint folder `dir`: state.json (whose epoch must be
/// the folder's), generator, discriminator (GAN runs), both optimizers' moments
/// and the RNG state. Throws std::runtime_error with the reason when a part is
/// missing or does not load.
LoadedCheckpoint load_checkpoint(const std::string &dir);

/// The checkpoint --resume continues from: the newest under out_dir that loads
/// completely. A checkpoint that does not is reported through `warn` (folder
/// and reason) and the one before it tried. Older checkpoints pruned to
/// generator.pt + state.json are no candidates (a run cannot continue without
/// the optimizer and RNG state). Nothing under out_dir is changed. Throws
/// UsageError when out_dir has no checkpoint, std::runtime_error listing every
/// folder tried and why when none loads.
LoadedCheckpoint resume_checkpoint(const std::string &out_dir, const std::function<void(const std::string &)> &warn);

/// Adam's per-parameter moments from a file written by torch::save, matched
/// to `opt`'s parameters by position. LibTorch's own loader matches the saved
/// TensorImpl address strings, which 1.x writes in hex and 2.x parses as
/// decimal, so a 1.x checkpoint resumed by a 2.x build would lose or mismatch
/// its moments. Hyper-parameters are not read (the trainer sets them).
/// Throws std::runtime_error naming `path` when the state does not fit.
void load_adam(torch::optim::Adam &opt, const std::string &path);

/// The key of `param` in Optimizer::state(): its TensorImpl address, as a
/// string in LibTorch 1.x and as a pointer in 2.x.
template <typename Key>
Key state_key(const torch::Tensor &param) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;
    s << param.unsafeGetTensorImpl();
    return s.str();
  } else {
    return Key(param.unsafeGetTensorImpl());
  }
}

/// colorize.json content for a generator trained as described by `state`.
ModelInfo model_info(const TrainState &state, const std::string &name, const std::string &license);

/// Writes the generator (eval mode, CPU; float16 parameters if `half`)
/// with colorize.json to `path` atomically.
void export_model(const torch::jit::Module &g, const ModelInfo &info, const std::string &path, bool half);

}  // namespace colorize::train
