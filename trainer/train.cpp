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
#include <random>
#include <sstream>
#include <thread>

#include "ab_bins.h"
#include "class_head.h"
#include "colorize/model.h"
#include "dataset.h"
#include "model_io.h"
#include "report.h"
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

torch::Tensor gan_criterion(GanLoss kind, const torch::Tensor &pred, bool real) {
  auto target = real ? torch::ones_like(pred) : torch::zeros_like(pred);
  return kind == GanLoss::Bce ? torch::binary_cross_entropy_with_logits(pred, target)
                              : torch::mse_loss(pred, target);
}

torch::Device choose_device(const std::string &name) {
  const Device d = parse_device(name);
  if (d == Device::Cuda && !torch::cuda::is_available())
    throw UsageError("--device cuda: LibTorch reports no usable CUDA device (CPU-only build or no GPU)");
  if (d != Device::Cpu && torch::cuda::is_available()) return torch::Device(torch::kCUDA, 0);
  return torch::kCPU;
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

/// Options of a resumed run: the checkpoint's, with the run-time settings
/// (and --epochs if given) from the command line. The LibTorch thread count
/// stays the run's unless given: it changes the order of floating-point sums,
/// so only the same count continues the run bit for bit.
TrainOptions merge_resume(const TrainOptions &cli, TrainOptions saved) {
  if (cli.epochs_given) saved.epochs = cli.epochs;
  if (cli.pretrain_given) saved.pretrain_epochs = cli.pretrain_epochs;
  if (cli.decay_given) saved.decay_epochs = cli.decay_epochs;
  saved.out_dir = cli.out_dir;
  saved.device = cli.device;
  if (cli.threads > 0) saved.threads = cli.threads;
  saved.workers = cli.workers;
  saved.quiet = cli.quiet;
  saved.half = cli.half || saved.half;
  saved.resume = true;
  return saved;
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

}  // namespace

double learning_rate(const TrainOptions &o, int epoch) {
  const int start = o.epochs - o.decay_epochs;
  if (o.decay_epochs <= 0 || epoch < start) return o.lr;
  return o.lr * double(o.epochs - epoch) / double(o.decay_epochs + 1);
}

TrainResult run_training(const TrainOptions &cli, const WarnFn &warn_in) {
  ProgressPrinter progress(cli.quiet);
  const WarnFn warn = warn_in ? warn_in : WarnFn([&](const std::string &p, const std::string &r) {
    progress.message("warning: skipping " + p + ": " + r);
  });
  TrainState state;
  LoadedCheckpoint resumed;
  if (cli.resume) {
    resumed = resume_checkpoint(cli.out_dir, [&](const std::string &m) { progress.message("warning: " + m); });
    state = resumed.state;
    state.options = merge_resume(cli, state.options);
  } else {
    state.options = cli;
  }
  // The count actually used is recorded, so that --resume keeps it.
  if (state.options.threads <= 0) state.options.threads = int(std::max(1u, std::thread::hardware_concurrency()));
  const TrainOptions &o = state.options;
  validate(o);
  if (!cli.resume) prepare_new_run_folder(o);
  torch::set_num_threads(o.threads);
  const torch::Device device = choose_device(o.device);
  if (const char *opt = std::getenv("COLORIZE_JIT_OPTIMIZE")) torch::jit::setGraphExecutorOptimize(opt[0] != '0');

  Dataset data = load_dataset(o, warn);
  state.skipped_files = data.skipped;
  const std::vector<Photo> &train_photos = data.train, &val_photos = data.val;
  state.train_photos = int(train_photos.size());
  state.val_photos = int(val_photos.size());
  Validator validator(train_photos, val_photos, o);
  if (!cli.resume) {
    state.val_gray = validator.grayscale_baseline();
    state.val_original_colorfulness = validator.original_colorfulness();
  }

  Nets nets;
  const bool use_gan = o.arch == Arch::UNet;
  if (cli.resume) {
    nets = std::move(resumed.nets);  // with its optimizers: Module::to() below moves parameters in place
  } else {
    torch::manual_seed(uint64_t(o.seed));
    nets.g = new_generator(o, train_photos);
    if (use_gan) nets.d = nets::build_patchgan(patchgan_config(o));
  }
  nets.g.to(device);
  set_requires_grad(nets.g, true);
  if (!nets.opt_g) nets.opt_g = make_adam(nets.g, o);
  if (nets.d) {
    nets.d->to(device);
    if (!nets.opt_d) nets.opt_d = make_adam(*nets.d, o);
  }
  if (cli.resume) {
    at::Generator gen = at::detail::getDefaultCPUGenerator();  // shares the global generator
    gen.set_state(resumed.rng);
  }
  fs::create_directories(fs::path(o.out_dir) / "samples");
  {
    // Which photos were held out, e.g. for `colorize-train eval` later.
    std::string list;
    for (const auto &p : val_photos) list += p.path + "\n";
    write_file_atomic((fs::path(o.out_dir) / "val-photos.txt").string(), list);
  }

  const bool classes = nets::has_class_head(nets.g);
  const torch::Tensor bin_weight = classes ? nets.g.attr("bin_weight").toTensor() : torch::Tensor();
  BatchLoader loader(train_photos, o.size, o.batch, o.space, o.seed, o.workers, classes);
  int steps = loader.batches_per_epoch();
  if (!progress.quiet())
    progress.message((cli.resume ? "resuming after epoch " + std::to_string(state.epoch) + ": " : std::string()) +
                     std::to_string(train_photos.size()) + " training / " + std::to_string(val_photos.size()) +
                     " validation photos, " + std::to_string(steps) + " batches of " +
                     std::to_string(std::min<int>(o.batch, train_photos.size())) + " per epoch, device " +
                     device.str() + ", " + std::to_string(torch::get_num_threads()) + " threads");

  for (int e = state.epoch; e < o.epochs; ++e) {
    const bool gan = use_gan && e >= o.pretrain_epochs;
    const double lr = learning_rate(o, e);
    set_lr(*nets.opt_g, lr);
    if (nets.opt_d) set_lr(*nets.opt_d, lr);
    nets::set_training(nets.g, true);
    if (nets.d) nets::set_training(*nets.d, true);
    steps = loader.start_epoch(e);
    const auto t0 = Clock::now();
    const std::clock_t cpu0 = std::clock();
    double sum_l1 = 0, sum_g = 0, sum_d = 0, sum_class = 0;
    int step = 0, images = 0;
    Batch b;
    while (loader.next(b)) {
      auto x = torch::from_blob(b.x.data(), {b.n, 1, b.size, b.size}, torch::kFloat).to(device, torch::kFloat, false, true);
      auto y = torch::from_blob(b.y.data(), {b.n, b.y_channels, b.size, b.size}, torch::kFloat)
                   .to(device, torch::kFloat, false, true);
      torch::Tensor fake, class_term;
      if (classes) {
        auto heads = nets.g.run_method("heads", x).toTuple();
        fake = heads->elements()[0].toTensor();
        class_term = class_loss(heads->elements()[1].toTensor(), b, bin_weight);
      } else {
        fake = nets.g.forward({x}).toTensor();
      }
      auto l1 = torch::l1_loss(fake, y);
      // The content loss: L1, plus the weighted class loss with a class head.
      torch::Tensor content = classes ? l1 + o.class_weight * class_term : l1;
      torch::Tensor loss_g = content;
      if (gan) {
        auto &d = *nets.d;
        set_requires_grad(d, true);
        auto pred_real = d.forward({torch::cat({x, y}, 1)}).toTensor();
        auto pred_fake = d.forward({torch::cat({x, fake.detach()}, 1)}).toTensor();
        auto loss_d = 0.5 * (gan_criterion(o.gan_loss, pred_real, true) + gan_criterion(o.gan_loss, pred_fake, false));
        nets.opt_d->zero_grad();
        loss_d.backward();
        nets.opt_d->step();
        set_requires_grad(d, false);
        auto g_adv = gan_criterion(o.gan_loss, d.forward({torch::cat({x, fake}, 1)}).toTensor(), true);
        loss_g = g_adv + o.lambda_l1 * content;
        sum_g += g_adv.item<double>();
        sum_d += loss_d.item<double>();
      }
      nets.opt_g->zero_grad();
      loss_g.backward();
      nets.opt_g->step();
      const double l1v = l1.item<double>();
      if (!std::isfinite(l1v) || !std::isfinite(loss_g.item<double>()))
        throw std::runtime_error("training diverged at epoch " + std::to_string(e + 1) +
                                 " (loss is not finite); try a lower --lr");
      sum_l1 += l1v;
      if (classes) sum_class += class_term.item<double>();
      ++step;
      images += b.n;
      const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      std::ostringstream losses;
      losses.precision(4);
      losses << "L1 " << sum_l1 / step;
      if (classes) losses << " CE " << sum_class / step;
      if (gan) losses << " G " << sum_g / step << " D " << sum_d / step;
      const double per_step = secs / step;
      progress.step(e + 1, o.epochs, step, steps, images / std::max(secs, 1e-9), losses.str(),
                    per_step * ((steps - step) + double(steps) * (o.epochs - e - 1)));
    }
    if (nets.d) set_requires_grad(*nets.d, true);
    EpochStats st;
    st.epoch = e + 1;
    st.phase = gan ? "gan" : "l1";
    st.lr = lr;
    st.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    st.cpu_seconds = double(std::clock() - cpu0) / CLOCKS_PER_SEC;
    st.images_per_s = images / std::max(st.seconds, 1e-9);
    st.g_l1 = sum_l1 / std::max(step, 1);
    st.g_class = sum_class / std::max(step, 1);
    st.g_gan = sum_g / std::max(step, 1);
    st.d_loss = sum_d / std::max(step, 1);
    st.val = validator.score(nets.g, device);
    state.history.push_back(st);
    state.epoch = e + 1;
    state.elapsed_s += st.seconds;
    state.images_seen += images;

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

  TrainResult result;
  result.model_path = (fs::path(o.out_dir) / "model.pt").string();
  export_model(nets.g, model_info(state, o.name, o.license), result.model_path, o.half);
  progress.message("trained " + std::to_string(state.epoch) + " epochs in " + format_duration(state.elapsed_s) +
                     "; model written to " + result.model_path);
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
