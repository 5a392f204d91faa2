// The training loop: Pix2Pix (U-Net + PatchGAN, adversarial + lambda * L1)
// on jit::Modules built by nets.h, with L1-only pre-training, checkpoints,
// validation, sample grids and the final export.
#include "train.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "ab_bins.h"
#include "class_head.h"
#include "colorize/model.h"
#include "colorize/error.h"
#include "colorize/torch_device.h"
#include "dataset.h"
#include "distributed.h"
#include "model_io.h"
#include "replicas.h"
#include "report.h"
#include "step.h"
#include "validation.h"

namespace fs = std::filesystem;

namespace colorize::train {
namespace {

using Clock = std::chrono::steady_clock;

void set_requires_grad(const torch::jit::Module &m, bool on) {
  for (auto p : m.parameters()) p.requires_grad_(on);
}

void set_lr(torch::optim::Adam &opt, double lr) {
  for (auto &g : opt.param_groups()) static_cast<torch::optim::AdamOptions &>(g.options()).lr(lr);
}

/// The device of `name` by core's rule; CUDA device `index` (LOCAL_RANK)
/// when it is CUDA.
torch::Device choose_device(const std::string &name, int index) {
  try {
    return torch_device(parse_device(name), index);
  } catch (const DeviceError &e) {
    throw UsageError(std::string("--device ") + name + " (LOCAL_RANK " + std::to_string(index) + "): " + e.what());
  }
}

/// A new generator; with a classification head, its rebalancing weights come
/// from the training photos' colours.
torch::jit::Module new_generator(const TrainOptions &o, const std::vector<Photo> &train) {
  const nets::UNetConfig config = unet_config(o);
  if (config.classes == 0) return nets::build_unet(config);
  torch::jit::Module g = nets::build_unet(config, bin_ab_tensor());
  const std::vector<float> w = AbBins::gamut().rebalance(class_counts(train, o.size));
  g.attr("bin_weight").toTensor().copy_(torch::tensor(w));
  return g;
}

/// What a run writes into its folder (removed by --force).
const char *const kRunFiles[] = {"checkpoints", "samples", "losses.csv", "losses.png", "model.pt", "val-photos.txt"};

/// A new run must not mix with an earlier run's files: refuse a folder that
/// is not empty unless --force, which removes the files a run writes.
void prepare_new_run_folder(const TrainOptions &o) {
  std::error_code ec;
  if (!fs::exists(o.out_dir, ec)) return;
  if (!fs::is_directory(o.out_dir, ec)) throw UsageError(o.out_dir + ": not a folder");
  if (o.force) {
    for (const char *name : kRunFiles) fs::remove_all(fs::path(o.out_dir) / name);
    return;
  }
  if (!fs::is_empty(o.out_dir, ec))
    throw UsageError(o.out_dir + ": the folder is not empty (an earlier run?); continue that run with --resume, " +
                     "or start a new one there with --force (deletes its checkpoints)");
}

/// The run's state: from the last checkpoint (--resume) or new. The other
/// ranks of a data-parallel run take rank 0's, with their own run-time
/// settings (and their own photo folders when they name them).
TrainState start_state(const TrainOptions &cli, Distributed &dist, LoadedCheckpoint &resumed,
                       ProgressPrinter &progress) {
  TrainState state;
  if (dist.leader()) {
    if (cli.resume) {
      resumed = resume_checkpoint(cli.out_dir, [&](const std::string &m) { progress.message("warning: " + m); });
      state = resumed.state;
      state.options = resumed_options(cli, state.options);
    } else {
      state.options = cli;
    }
    // The count actually used is recorded, so that --resume keeps it.
    if (state.options.threads <= 0) state.options.threads = int(std::max(1u, std::thread::hardware_concurrency()));
  }
  return leader_state(dist, state, [&](const TrainOptions &leaders) {
    TrainOptions o = resumed_options(cli, leaders);
    if (!cli.data_dirs.empty()) {
      o.data_dirs = cli.data_dirs;
      o.val_dir = cli.val_dir;
      o.val_list = cli.val_list;
    }
    return o;
  });
}

/// Each batch (limited to the photos) is split into equal parts: one per
/// process, each in --accumulate parts.
void check_split(const TrainOptions &o, size_t photos, int world) {
  const int batch = std::max(1, std::min(o.batch, int(photos)));
  const int parts = world * o.accumulate;
  if (batch % parts != 0)
    throw UsageError("--batch " + std::to_string(batch) +
                     (batch < o.batch ? " (limited to the number of training photos)" : "") +
                     " does not split into " + std::to_string(parts) + " equal parts (" + std::to_string(world) +
                     (world == 1 ? " process" : " processes") + " x --accumulate " + std::to_string(o.accumulate) +
                     "); choose a multiple of " + std::to_string(parts));
}

/// Sets a new generator's weights from `path`: a checkpoint folder (its
/// generator.pt) or a model file. Throws UsageError when they do not fit.
void start_from(torch::jit::Module &g, const std::string &path) {
  const bool folder = fs::is_directory(path);
  try {
    nets::load_weights(g, folder ? load_generator(path) : load_module(path));
  } catch (const std::exception &e) {
    throw UsageError("--init " + path + ": " + e.what() +
                     " (the architecture options must be those of the run it comes from)");
  }
}

/// The networks and their optimizers on `device`: the checkpoint's when this
/// process resumes one, else new (seeded); then rank 0's on every rank.
Nets start_nets(const TrainOptions &o, LoadedCheckpoint *resumed, const std::vector<Photo> &train,
                const torch::Device &device, Distributed &dist, bool resumed_run) {
  Nets nets;
  if (resumed) {
    nets = std::move(resumed->nets);  // with its optimizers: Module::to() below moves parameters in place
  } else {
    torch::manual_seed(uint64_t(o.seed));
    nets.g = new_generator(o, train);
    if (!o.init.empty()) start_from(nets.g, o.init);
    if (o.arch == Arch::UNet) nets.d = nets::build_patchgan(patchgan_config(o));
  }
  nets.g.to(device);
  set_requires_grad(nets.g, true);
  if (!nets.opt_g) nets.opt_g = make_adam(nets.g, o);
  if (nets.d) {
    nets.d->to(device);
    if (!nets.opt_d) nets.opt_d = make_adam(*nets.d, o);
  }
  if (resumed) {
    at::Generator gen = at::detail::getDefaultCPUGenerator();  // shares the global generator
    gen.set_state(resumed->rng);
  }
  sync_from_leader(dist, nets, resumed_run);
  return nets;
}

/// "resuming after epoch 3: 4 training / 2 validation photos, 2 batches of 2
/// per epoch in 2 parts of 1 (2 processes, gloo), device cpu, 1 threads"
std::string start_line(const TrainState &state, int steps, const Distributed &dist, const torch::Device &device,
                       bool resumed) {
  const TrainOptions &o = state.options;
  const int batch = std::min(o.batch, state.train_photos), parts = dist.world_size() * o.accumulate;
  std::string line = resumed ? "resuming after epoch " + std::to_string(state.epoch) + ": " : std::string();
  line += std::to_string(state.train_photos) + " training / " + std::to_string(state.val_photos) +
          " validation photos, " + std::to_string(steps) + " batches of " + std::to_string(batch) + " per epoch";
  if (parts > 1)
    line += " in " + std::to_string(parts) + " parts of " + std::to_string(batch / parts) + " (" +
            std::to_string(dist.world_size()) + " processes, " + dist.backend() + ")";
  line += ", device " + device.str() + ", " + std::to_string(torch::get_num_threads()) + " threads";
  return o.precision == Precision::Float32 ? line : line + ", " + to_string(o.precision) + " forward passes";
}

/// "gradient exchange: 41 ms of 630 ms per step, 6.5 MB per step (gloo, 2 processes)"
std::string exchange_line(const Distributed &dist, double seconds, double step_seconds, double bytes) {
  std::ostringstream s;
  s.precision(3);
  s << "gradient exchange: " << seconds * 1e3 << " ms of " << step_seconds * 1e3 << " ms per step, "
    << bytes / 1e6 << " MB per step (" << dist.backend() << ", " << dist.world_size() << " processes)";
  return s.str();
}

/// One epoch of training as the whole run saw it.
struct EpochRun {
  EpochStats stats;      ///< losses and image rate over all ranks; no validation scores
  int64_t images = 0;    ///< trained on by all ranks
  std::string exchange;  ///< the gradient-exchange line of this rank
};

/// Trains epoch `e` (0-based) on this rank's share of each batch.
EpochRun train_epoch(int e, bool gan, const TrainOptions &o, BatchLoader &loader, Stepper &stepper, Nets &nets,
                     Distributed &dist, ProgressPrinter &progress) {
  const double lr = learning_rate(o, e);
  set_lr(*nets.opt_g, lr);
  if (nets.opt_d) set_lr(*nets.opt_d, lr);
  nets::set_training(nets.g, true);
  if (nets.d) nets::set_training(*nets.d, true);
  const bool classes = nets::has_class_head(nets.g);
  const int steps = loader.start_epoch(e);
  const auto t0 = Clock::now();
  const std::clock_t cpu0 = std::clock();
  const double exchange0 = dist.exchange_seconds(), bytes0 = double(dist.exchange_bytes());
  EpochSums sums;
  int step = 0;
  Batch b;
  while (loader.next(b)) {
    const StepLosses l = stepper.step(b, gan, e + 1);
    sums.l1 += l.l1;
    sums.classes += l.classes;
    sums.g_gan += l.g_gan;
    sums.d += l.d;
    ++step;
    sums.images += b.n;
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::ostringstream losses;
    losses.precision(4);
    losses << "L1 " << sums.l1 / step;
    if (classes) losses << " CE " << sums.classes / step;
    if (gan) losses << " G " << sums.g_gan / step << " D " << sums.d / step;
    const double per_step = secs / step;
    progress.step(e + 1, o.epochs, step, steps, sums.images * dist.world_size() / std::max(secs, 1e-9),
                  losses.str(), per_step * ((steps - step) + double(steps) * (o.epochs - e - 1)));
  }
  if (nets.d) set_requires_grad(*nets.d, true);
  EpochRun run;
  EpochStats &st = run.stats;
  st.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  st.cpu_seconds = double(std::clock() - cpu0) / CLOCKS_PER_SEC;
  const int n_steps = std::max(step, 1);
  run.exchange = exchange_line(dist, (dist.exchange_seconds() - exchange0) / n_steps, st.seconds / n_steps,
                            (double(dist.exchange_bytes()) - bytes0) / n_steps);
  const EpochSums all = finish_epoch(dist, sums, nets);
  const double n = double(n_steps) * dist.world_size();
  st.epoch = e + 1;
  st.phase = gan ? "gan" : "l1";
  st.lr = lr;
  st.images_per_s = all.images / std::max(st.seconds, 1e-9);
  st.g_l1 = all.l1 / n;
  st.g_class = all.classes / n;
  st.g_gan = all.g_gan / n;
  st.d_loss = all.d / n;
  run.images = int64_t(all.images);
  return run;
}

/// Rank 0 after each epoch: the sample grid, the checkpoint, losses.csv and
/// the loss plot, the progress line.
void save_epoch(const TrainState &state, Nets &nets, const Validator &validator, const torch::Device &device,
                ProgressPrinter &progress) {
  const TrainOptions &o = state.options;
  const EpochStats &st = state.history.back();
  if (o.samples_every > 0 && (state.epoch % o.samples_every == 0 || state.epoch == o.epochs)) {
    char name[32];
    std::snprintf(name, sizeof name, "epoch-%04d.png", state.epoch);
    write_image_atomic((fs::path(o.out_dir) / "samples" / name).string(),
                       validator.sample_grid(nets.g, device, "epoch " + std::to_string(state.epoch)));
  }
  save_checkpoint(o.out_dir, state, nets);
  write_file_atomic((fs::path(o.out_dir) / "losses.csv").string(), losses_csv(state.history));
  write_image_atomic((fs::path(o.out_dir) / "losses.png").string(), plot_losses(state.history));
  progress.epoch_done(st, o.epochs, st.seconds * (o.epochs - state.epoch));
}

}  // namespace

double learning_rate(const TrainOptions &o, int epoch) {
  const int start = o.epochs - o.decay_epochs;
  if (o.decay_epochs <= 0 || epoch < start) return o.lr;
  return o.lr * double(o.epochs - epoch) / double(o.decay_epochs + 1);
}

TrainResult run_training(const TrainOptions &cli, const WarnFn &warn_in) {
  const DistOptions where = resolve_dist_options(cli.dist, [](const char *name) { return std::getenv(name); });
  ProgressPrinter progress(cli.quiet || where.rank != 0);
  const WarnFn warn = warn_in ? warn_in : WarnFn([&](const std::string &p, const std::string &r) {
    if (where.rank == 0) progress.message("warning: skipping " + p + ": " + r);
  });
  const torch::Device device = choose_device(cli.device, where.local_rank);
  Distributed dist = where.world_size > 1 ? Distributed(where, device) : Distributed();
  LoadedCheckpoint resumed;
  TrainState state = start_state(cli, dist, resumed, progress);
  const TrainOptions &o = state.options;
  const bool leader = dist.leader(), resumed_run = state.epoch > 0;
  validate(o);
  if (leader && !cli.resume) prepare_new_run_folder(o);
  torch::set_num_threads(o.threads);
  if (const char *opt = std::getenv("COLORIZE_JIT_OPTIMIZE")) torch::jit::setGraphExecutorOptimize(opt[0] != '0');

  Dataset data = load_dataset(o, warn);
  state.skipped_files = data.skipped;
  const std::vector<Photo> &train_photos = data.train, &val_photos = data.val;
  state.train_photos = int(train_photos.size());
  state.val_photos = int(val_photos.size());
  check_same_photos(dist, train_photos);
  check_split(o, train_photos.size(), dist.world_size());
  std::optional<Validator> validator;  // rank 0's
  if (leader) validator.emplace(train_photos, val_photos, o);
  if (leader && !cli.resume) {
    state.val_gray = validator->grayscale_baseline();
    state.val_original_colorfulness = validator->original_colorfulness();
  }

  Nets nets = start_nets(o, leader && cli.resume ? &resumed : nullptr, train_photos, device, dist, resumed_run);
  const bool use_gan = o.arch == Arch::UNet;
  if (leader) {
    fs::create_directories(fs::path(o.out_dir) / "samples");
    // Which photos were held out, e.g. for `colorize-train eval` later.
    std::string list;
    for (const auto &p : val_photos) list += p.path + "\n";
    write_file_atomic((fs::path(o.out_dir) / "val-photos.txt").string(), list);
  }

  const bool classes = nets::has_class_head(nets.g);
  BatchLoader loader(train_photos, o.size, o.batch, o.space, o.seed, o.workers, classes, dist.rank(),
                     dist.world_size(), o.hints);
  Stepper stepper(nets, o, device, dist, o.accumulate);
  if (!progress.quiet())
    progress.message(start_line(state, loader.batches_per_epoch(), dist, device, resumed_run));

  for (int e = state.epoch; e < o.epochs; ++e) {
    const bool gan = use_gan && e >= o.pretrain_epochs;
    EpochRun run = train_epoch(e, gan, o, loader, stepper, nets, dist, progress);
    if (leader) run.stats.val = validator->score(nets.g, device);
    state.history.push_back(run.stats);
    state.epoch = e + 1;
    state.elapsed_s += run.stats.seconds;
    state.images_seen += run.images;
    if (leader) save_epoch(state, nets, *validator, device, progress);
    if (dist.active() && !progress.quiet()) progress.message(run.exchange);
    dist.barrier("rank 0 saved epoch " + std::to_string(state.epoch));
  }

  TrainResult result;
  result.model_path = (fs::path(o.out_dir) / "model.pt").string();
  if (leader) {
    export_model(nets.g, model_info(state, o.name, o.license), result.model_path, o.half);
    progress.message("trained " + std::to_string(state.epoch) + " epochs in " + format_duration(state.elapsed_s) +
                     "; model written to " + result.model_path);
  }
  dist.barrier("rank 0 exported the model");
  result.state = state;
  return result;
}

int run_export(const ExportOptions &o) {
  TrainState state = load_state(o.checkpoint);
  // The checkpoint's weights in a generator of this build, whose forward()
  // may be newer than the one saved with them.
  torch::jit::Module g = nets::rebuild_unet(unet_config(state.options), load_generator(o.checkpoint));
  ModelInfo info = model_info(state, o.name, o.license);
  if (o.average > 1) {
    const int first = state.epoch - o.average + 1;
    if (first < 1)
      throw UsageError("--average " + std::to_string(o.average) + ": the checkpoint is of epoch " +
                       std::to_string(state.epoch));
    // The checkpoints of one run are siblings: RUN/checkpoints/epoch-N.
    const std::string run = fs::weakly_canonical(o.checkpoint).parent_path().parent_path().string();
    std::vector<torch::jit::Module> earlier;
    for (int e = first; e < state.epoch; ++e) earlier.push_back(load_generator(checkpoint_dir(run, e)));
    nets::average_weights(g, earlier);
    info.description += " Weights averaged over epochs " + std::to_string(first) + "-" +
                        std::to_string(state.epoch) + ".";
  }
  if (!std::isnan(o.blend) || !std::isnan(o.temperature)) {
    if (!nets::has_class_head(g))
      throw UsageError("--blend and --temperature need a model with a classification head (--class-weight > 0)");
    nets::set_decoding(g, std::isnan(o.blend) ? g.attr("blend").toDouble() : o.blend,
                       std::isnan(o.temperature) ? g.attr("temperature").toDouble() : o.temperature);
  }
  if (nets::has_class_head(g)) check_classes(g, o.checkpoint);
  export_model(g, info, o.out, o.half);
  std::cerr << "exported epoch " << state.epoch << " of " << o.checkpoint << " to " << o.out
            << (o.half ? " (float16 parameters)" : "") << "\n";
  return 0;
}

}  // namespace colorize::train
