// Checkpoints (generator + discriminator as TorchScript, optimizer states
// and the torch RNG state via torch::save, state.json) and model-file export
// (TorchScript + colorize.json). Everything is written to a temporary name
// first and renamed, so a killed run never leaves a half-written file.
#pragma once

#include <memory>
#include <optional>
#include <string>

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

/// Most recent complete checkpoint folder under out_dir (empty if none).
std::string latest_checkpoint(const std::string &out_dir);

struct Nets {
  torch::jit::Module g;
  std::optional<torch::jit::Module> d;  ///< absent for L1-only runs
  std::unique_ptr<torch::optim::Adam> opt_g, opt_d;
};

/// Saves the checkpoint of `state.epoch` atomically (temp folder + rename).
/// Older checkpoints keep only generator.pt + state.json (enough to export
/// them); the latest `keep_full` keep everything.
void save_checkpoint(const std::string &out_dir, const TrainState &state, Nets &nets, int keep_full = 2);

/// State of a checkpoint folder (state.json). Throws std::runtime_error.
TrainState load_state(const std::string &dir);
/// A TorchScript file on the CPU; throws std::runtime_error naming it.
torch::jit::Module load_module(const std::string &path);
/// Generator of a checkpoint folder, on the CPU.
torch::jit::Module load_generator(const std::string &dir);
/// Discriminator, optimizer states and RNG state into already-built `nets`
/// (the optimizers must be constructed over the loaded modules' parameters).
void load_training_parts(const std::string &dir, Nets &nets);

/// Adam's per-parameter moments from a file written by torch::save, matched
/// to `opt`'s parameters by position. LibTorch's own loader matches the saved
/// TensorImpl address strings, which 1.x writes in hex and 2.x parses as
/// decimal, so a 1.x checkpoint resumed by a 2.x build would lose or mismatch
/// its moments. Hyper-parameters are not read (the trainer sets them).
/// Throws std::runtime_error naming `path` when the state does not fit.
void load_adam(torch::optim::Adam &opt, const std::string &path);

/// colorize.json content for a generator trained as described by `state`.
ModelInfo model_info(const TrainState &state, const std::string &name, const std::string &license);

/// Writes the generator (eval mode, CPU; float16 parameters if `half`)
/// with colorize.json to `path` atomically.
void export_model(const torch::jit::Module &g, const ModelInfo &info, const std::string &path, bool half);

}  // namespace colorize::train
