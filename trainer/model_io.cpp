// Checkpoints and model export: see model_io.h.
#include "model_io.h"

#include "ab_bins.h"
#include "class_head.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/serialize.h>

#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <type_traits>

namespace fs = std::filesystem;

namespace colorize::train {
namespace {

const char *const kStateFile = "state.json";
const char *const kGeneratorFile = "generator.pt";
const char *const kDiscriminatorFile = "discriminator.pt";
const char *const kOptGFile = "optimizer_g.pt";
const char *const kOptDFile = "optimizer_d.pt";
const char *const kRngFile = "rng.pt";

/// Epoch number of a folder named epoch-NNNN, or -1.
int epoch_of(const fs::path &p) {
  const std::string name = p.filename().string();
  if (name.rfind("epoch-", 0) != 0 || name.size() <= 6) return -1;
  const std::string digits = name.substr(6);
  if (!std::all_of(digits.begin(), digits.end(), ::isdigit)) return -1;
  return std::stoi(digits);
}

std::vector<fs::path> checkpoints(const std::string &out_dir) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  const fs::path root = fs::path(out_dir) / "checkpoints";
  if (!fs::is_directory(root, ec)) return dirs;
  for (const auto &e : fs::directory_iterator(root, ec))
    if (e.is_directory() && epoch_of(e.path()) >= 0) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end(), [](const fs::path &a, const fs::path &b) { return epoch_of(a) < epoch_of(b); });
  return dirs;
}

std::string file_in(const std::string &dir, const char *name) { return (fs::path(dir) / name).string(); }

/// Puts the complete folder `from` at `to`. An existing `to` is exchanged
/// with it in one step where the system can (renameat2), so `to` always
/// names a complete folder; elsewhere it is moved aside first, so `to` is
/// then briefly absent but never partly written or partly removed.
void replace_folder(const fs::path &from, const fs::path &to) {
  std::error_code ec;
  if (!fs::exists(to, ec)) {
    fs::rename(from, to);
    return;
  }
#ifdef RENAME_EXCHANGE
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(from);  // now the old folder
    return;
  }
#endif
  const fs::path old = to.parent_path() / ("." + to.filename().string() + ".old");
  fs::remove_all(old);
  fs::rename(to, old);
  fs::rename(from, to);
  fs::remove_all(old);
}

/// Whether `dir` was pruned to what export needs (generator + state).
bool export_only(const fs::path &dir) {
  std::error_code ec;
  for (const char *f : {kDiscriminatorFile, kOptGFile, kOptDFile, kRngFile})
    if (fs::exists(dir / f, ec)) return false;
  return true;
}

/// The message of an exception from LibTorch or ours, without a backtrace.
std::string reason_of(const std::exception &e) {
  if (const auto *c = dynamic_cast<const c10::Error *>(&e)) return c->what_without_backtrace();
  return e.what();
}

/// Runs `load`, naming `path` in what it throws.
template <typename F>
void load_part(const std::string &path, F &&load) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw std::runtime_error(path + ": missing");
  try {
    load();
  } catch (const c10::Error &e) {
    throw std::runtime_error(path + ": cannot load: " + e.what_without_backtrace());
  }
}

}  // namespace

nets::UNetConfig unet_config(const TrainOptions &o) {
  nets::UNetConfig c;
  c.depth = o.depth;
  c.width = o.width;
  c.in_channels = 1;
  c.out_channels = o.space == Space::Lab ? 2 : 3;
  c.skips = o.arch == Arch::UNet;
  c.dropout_blocks = std::min(3, o.depth - 1);
  c.dropout = o.dropout;
  c.upsample = o.upsample == Upsample::Resize ? nets::Upsample::Resize : nets::Upsample::Transposed;
  c.classes = o.class_weight > 0 ? AbBins::gamut().size() : 0;
  c.in_channels = o.hints ? 4 : 1;
  return c;
}

nets::PatchGanConfig patchgan_config(const TrainOptions &o) {
  nets::PatchGanConfig c;
  c.in_channels = 1 + (o.space == Space::Lab ? 2 : 3);
  c.width = o.disc_width;
  c.layers = o.disc_layers;
  return c;
}

std::string checkpoint_dir(const std::string &out_dir, int epoch) {
  char name[32];
  std::snprintf(name, sizeof name, "epoch-%04d", epoch);
  return (fs::path(out_dir) / "checkpoints" / name).string();
}

std::string latest_checkpoint(const std::string &out_dir) {
  auto dirs = checkpoints(out_dir);
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    std::error_code ec;
    if (fs::exists(*it / kStateFile, ec) && fs::exists(*it / kOptGFile, ec)) return it->string();
  }
  return {};
}

void save_checkpoint(const std::string &out_dir, const TrainState &state, Nets &nets, int keep_full) {
  const fs::path final_dir = checkpoint_dir(out_dir, state.epoch);
  const fs::path tmp = final_dir.parent_path() / ("." + final_dir.filename().string() + ".tmp");
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const std::string t = tmp.string();
  nets.g.save(file_in(t, kGeneratorFile));
  torch::save(*nets.opt_g, file_in(t, kOptGFile));
  if (nets.d) {
    nets.d->save(file_in(t, kDiscriminatorFile));
    torch::save(*nets.opt_d, file_in(t, kOptDFile));
  }
  torch::save(at::detail::getDefaultCPUGenerator().get_state(), file_in(t, kRngFile));
  write_file_atomic(file_in(t, kStateFile), to_json(state));
  replace_folder(tmp, final_dir);
  // Older checkpoints: keep what export needs, drop the training parts.
  auto dirs = checkpoints(out_dir);
  for (int i = 0; i + keep_full < int(dirs.size()); ++i)
    for (const char *f : {kDiscriminatorFile, kOptGFile, kOptDFile, kRngFile}) fs::remove(dirs[i] / f);
}

void load_adam(torch::optim::Adam &opt, const std::string &path) {
  torch::serialize::InputArchive archive, state, groups;
  archive.load_from(path);
  archive.read("state", state);
  archive.read("param_groups", groups);
  torch::Tensor n_groups;
  groups.read("param_groups/size", n_groups);
  if (n_groups.item<int64_t>() != int64_t(opt.param_groups().size()))
    throw std::runtime_error(path + ": optimizer state has " + std::to_string(n_groups.item<int64_t>()) +
                             " parameter groups, the network needs " + std::to_string(opt.param_groups().size()));
  using Key = typename std::decay_t<decltype(opt.state())>::key_type;
  for (size_t i = 0; i < opt.param_groups().size(); ++i) {
    torch::serialize::InputArchive group;
    groups.read("param_groups/" + std::to_string(i), group);
    const std::vector<torch::Tensor> &params = opt.param_groups()[i].params();
    torch::Tensor size;
    group.read("params/size", size);
    if (size.item<int64_t>() != int64_t(params.size()))
      throw std::runtime_error(path + ": optimizer state is for " + std::to_string(size.item<int64_t>()) +
                               " parameters, the network has " + std::to_string(params.size()));
    for (size_t k = 0; k < params.size(); ++k) {
      c10::IValue key;
      group.read("params/" + std::to_string(k), key);
      torch::serialize::InputArchive saved;
      if (!state.try_read(key.toStringRef(), saved)) continue;  // no step taken yet
      auto moments = std::make_unique<torch::optim::AdamParamState>();
      moments->serialize(saved);
      if (!moments->exp_avg().sizes().equals(params[k].sizes()))
        throw std::runtime_error(path + ": optimizer state of parameter " + std::to_string(k) +
                                 " does not match the network (shape " + c10::str(moments->exp_avg().sizes()) +
                                 ", parameter " + c10::str(params[k].sizes()) + ")");
      opt.state()[state_key<Key>(params[k])] = std::move(moments);
    }
  }
}

TrainState load_state(const std::string &dir) {
  const std::string path = file_in(dir, kStateFile);
  return state_from_json(read_file(path), path);
}

torch::jit::Module load_module(const std::string &path) {
  try {
    return torch::jit::load(path, torch::kCPU);
  } catch (const c10::Error &e) {
    throw std::runtime_error(path + ": cannot load: " + e.what_without_backtrace());
  }
}

torch::jit::Module load_generator(const std::string &dir) { return load_module(file_in(dir, kGeneratorFile)); }

std::unique_ptr<torch::optim::Adam> make_adam(const torch::jit::Module &m, const TrainOptions &o) {
  std::vector<torch::Tensor> params;
  for (const auto &p : m.parameters()) params.push_back(p);
  return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(o.lr).betas({o.beta1, o.beta2}));
}

LoadedCheckpoint load_checkpoint(const std::string &dir) {
  LoadedCheckpoint c;
  c.dir = dir;
  load_part(file_in(dir, kStateFile), [&] { c.state = load_state(dir); });
  if (c.state.epoch != epoch_of(dir))
    throw std::runtime_error(file_in(dir, kStateFile) + ": is the state after epoch " + std::to_string(c.state.epoch) +
                             ", not after the folder's");
  const TrainOptions &o = c.state.options;
  Nets &n = c.nets;
  load_part(file_in(dir, kGeneratorFile), [&] { n.g = load_generator(dir); });
  if (nets::has_class_head(n.g)) check_classes(n.g, dir);
  const std::string d_file = file_in(dir, kDiscriminatorFile);
  if (o.arch == Arch::UNet) load_part(d_file, [&] { n.d = load_module(d_file); });
  n.opt_g = make_adam(n.g, o);
  load_part(file_in(dir, kOptGFile), [&] { load_adam(*n.opt_g, file_in(dir, kOptGFile)); });
  if (n.d) {
    n.opt_d = make_adam(*n.d, o);
    load_part(file_in(dir, kOptDFile), [&] { load_adam(*n.opt_d, file_in(dir, kOptDFile)); });
  }
  load_part(file_in(dir, kRngFile), [&] {
    torch::load(c.rng, file_in(dir, kRngFile));
    at::detail::createCPUGenerator().set_state(c.rng);  // throws if it is not a generator state
  });
  return c;
}

LoadedCheckpoint resume_checkpoint(const std::string &out_dir, const std::function<void(const std::string &)> &warn) {
  const std::vector<fs::path> all = checkpoints(out_dir);
  if (all.empty()) throw UsageError(out_dir + ": no checkpoint to resume from");
  std::vector<fs::path> candidates, pruned;
  for (auto it = all.rbegin(); it != all.rend(); ++it) (export_only(*it) ? pruned : candidates).push_back(*it);
  std::string tried;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const std::string dir = candidates[i].string();
    try {
      LoadedCheckpoint c = load_checkpoint(dir);
      if (i > 0)
        warn("resuming from " + dir + " instead; the checkpoints after it stay as they are until this run saves "
             "over them");
      return c;
    } catch (const std::exception &e) {
      const std::string reason = reason_of(e);
      tried += "\n  " + dir + ": " + reason;
      if (i + 1 < candidates.size())
        warn("cannot resume from " + dir + ": " + reason + "; trying the checkpoint before it");
    }
  }
  if (!pruned.empty()) {
    tried += "\n  " + pruned.front().string();
    if (pruned.size() > 1) tried += " and " + std::to_string(pruned.size() - 1) + " older";
    tried += ": older checkpoints keep only generator.pt and state.json, not the optimizer and RNG state a run "
             "continues from (colorize-train export can still export them)";
  }
  throw std::runtime_error("no checkpoint in " + out_dir + " can be resumed:" + tried);
}

ModelInfo model_info(const TrainState &state, const std::string &name, const std::string &license) {
  const TrainOptions &o = state.options;
  ModelInfo info;
  info.color_space = o.space == Space::Lab ? ColorSpace::Lab : ColorSpace::Rgb;
  info.hints = o.hints;
  info.format_version = o.hints ? kHintFormatVersion : kFormatVersion;
  info.input_size = o.size;
  info.size_multiple = 1 << o.depth;
  info.name = name.empty() ? o.name : name;
  info.license = license.empty() ? o.license : license;
  std::ostringstream d;
  d << (o.arch == Arch::UNet ? "Pix2Pix U-Net" : "Encoder-decoder (no skips, L1 only)") << " (depth " << o.depth
    << ", width " << o.width << (o.upsample == Upsample::Resize ? ", resize-convolution decoder" : "")
    << (o.class_weight > 0 ? ", regression + colour-class heads" : "") << ") predicting "
    << (o.space == Space::Lab ? "a,b" : "R,G,B")
    << (o.hints ? " from L and optional colour hints" : " from L") << ", trained by colorize-train on "
    << state.train_photos << " photos for " << state.epoch
    << " epochs at " << o.size << "x" << o.size << ".";
  info.description = d.str();
  info.architecture_json = nets::to_json(unet_config(o));
  info.training_json = training_facts_json(state);
  return info;
}

void export_model(const torch::jit::Module &g, const ModelInfo &info, const std::string &path, bool half) {
  torch::jit::Module copy = g.clone();
  copy.to(torch::kCPU);
  nets::set_training(copy, false);
  if (half) copy.to(torch::kHalf);
  torch::jit::ExtraFilesMap extra{{kMetadataFileName, serialize_model_info(info)}};
  std::ostringstream archive;
  try {
    copy.save(archive, extra);
  } catch (const c10::Error &e) {
    throw std::runtime_error(path + ": cannot write model file: " + e.what_without_backtrace());
  }
  write_file_atomic(path, archive.str());
}

}  // namespace colorize::train
