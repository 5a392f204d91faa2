// Option parsing for colorize-train with GLib's GOptionContext.
#include "options.h"

#include <glib.h>

#include <cmath>
#include <memory>
#include <vector>

#include "colorize/metadata.h"
#include "colorize/model.h"

namespace colorize::train {
namespace {

/// Owns the gchar* strings GLib fills in.
struct StringArg {
  gchar *value = nullptr;
  ~StringArg() { g_free(value); }
  void copy_to(std::string &out) const {
    if (value) out = value;
  }
};

/// Owns the string arrays of repeatable options.
struct StringsArg {
  gchar **value = nullptr;
  ~StringsArg() { g_strfreev(value); }
  std::vector<std::string> strings() const {
    std::vector<std::string> out;
    for (gchar **p = value; p && *p; ++p) out.emplace_back(*p);
    return out;
  }
  /// "a,b,c" of all the values.
  std::string joined() const {
    std::string out;
    for (const auto &v : strings()) out += (out.empty() ? "" : ",") + v;
    return out;
  }
};

struct ContextDeleter {
  void operator()(GOptionContext *c) const { g_option_context_free(c); }
};
using Context = std::unique_ptr<GOptionContext, ContextDeleter>;

/// Parses argv (copied, GLib removes what it consumed) with `entries`.
void parse(const char *parameter, const char *summary, const char *description,
           GOptionEntry *entries, int argc, char **argv) {
  Context context(g_option_context_new(parameter));
  g_option_context_set_summary(context.get(), summary);
  if (description) g_option_context_set_description(context.get(), description);
  g_option_context_add_main_entries(context.get(), entries, nullptr);
  std::vector<char *> args(argv, argv + argc);
  int n = argc;
  char **p = args.data();
  GError *error = nullptr;
  if (!g_option_context_parse(context.get(), &n, &p, &error)) {
    std::string message = error->message;
    g_error_free(error);
    throw UsageError(message);
  }
  if (n > 1) throw UsageError(std::string("unexpected argument '") + p[1] + "'");
}

template <typename E>
E choose(const std::string &option, const std::string &value,
         std::initializer_list<std::pair<const char *, E>> choices) {
  std::string names;
  for (const auto &c : choices) {
    if (value == c.first) return c.second;
    names += names.empty() ? "" : ", ";
    names += c.first;
  }
  throw UsageError("--" + option + ": unknown value '" + value + "' (choose " +
                   names + ")");
}

void require(bool ok, const std::string &message) {
  if (!ok) throw UsageError(message);
}

}  // namespace

const char *to_string(GanLoss v) { return v == GanLoss::Bce ? "bce" : "lsgan"; }
const char *to_string(Arch v) { return v == Arch::UNet ? "unet" : "autoencoder"; }
const char *to_string(Space v) { return v == Space::Lab ? "lab" : "rgb"; }
const char *to_string(Upsample v) { return v == Upsample::Resize ? "resize" : "transposed"; }

TrainOptions parse_train_options(int argc, char **argv) {
  TrainOptions o;
  StringsArg data, weights;
  StringArg val, val_list, out, gan, space, arch, upsample, device, name, license, master_addr, init;
  gint64 seed = o.seed;
  gint epochs = -1, pretrain = -1, decay = -1;
  gdouble lr = -1;
  gdouble lambda = -INFINITY;  // not given
  gdouble class_weight = -INFINITY;  // not given
  gboolean resume = FALSE, quiet = FALSE, half = FALSE, force = FALSE, hints = FALSE;
  GOptionEntry entries[] = {
      {"data", 'd', 0, G_OPTION_ARG_FILENAME_ARRAY, &data.value, "Folder of colour photos (searched recursively; may be repeated)", "DIR"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out.value, "Output folder: checkpoints, model.pt, losses, samples", "DIR"},
      {"val-dir", 0, 0, G_OPTION_ARG_FILENAME, &val.value, "Validation photos (default: --val-list, else split off --data)", "DIR"},
      {"val-list", 0, 0, G_OPTION_ARG_FILENAME, &val_list.value, "File naming the photos of --data held out for validation, one file name per line", "FILE"},
      {"val-fraction", 0, 0, G_OPTION_ARG_DOUBLE, &o.val_fraction, "Share of --data kept for validation without --val-dir/--val-list (default 0.05)", "F"},
      {"prefix-weight", 0, 0, G_OPTION_ARG_STRING_ARRAY, &weights.value, "Sampling weight of the photos whose name starts with PREFIX_ (default 1; 0.25 = one epoch in four; may be repeated)", "PREFIX=W"},
      {"size", 's', 0, G_OPTION_ARG_INT, &o.size, "Training crop side in pixels (default 128)", "N"},
      {"batch", 'b', 0, G_OPTION_ARG_INT, &o.batch, "Batch size (default 16; on several processes, the whole batch, which they share)", "N"},
      {"epochs", 'e', 0, G_OPTION_ARG_INT, &epochs, "Total epochs, pre-training included (default 48)", "N"},
      {"pretrain-epochs", 0, 0, G_OPTION_ARG_INT, &pretrain, "First epochs train the generator without the discriminator (default 48 = all: no GAN phase; fewer adds a PatchGAN phase after them)", "N"},
      {"decay-epochs", 0, 0, G_OPTION_ARG_INT, &decay, "Last epochs decay the learning rate linearly to 0 (default 14; more than --epochs = from the start)", "N"},
      {"lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "Adam learning rate (default 2e-4; on --resume, a new peak for the epochs still to run: a warm restart)", "X"},
      {"lambda", 0, 0, G_OPTION_ARG_DOUBLE, &lambda, "Weight of the content loss (L1, plus the class loss) against the adversarial loss in the GAN phase (default 100; may be changed on --resume)", "X"},
      {"gan-loss", 0, 0, G_OPTION_ARG_STRING, &gan.value, "Adversarial loss: bce (default) or lsgan", "NAME"},
      {"space", 0, 0, G_OPTION_ARG_STRING, &space.value, "Predict lab (a,b; default) or rgb", "NAME"},
      {"arch", 0, 0, G_OPTION_ARG_STRING, &arch.value, "unet (default) or autoencoder (no skips, L1 only)", "NAME"},
      {"upsample", 0, 0, G_OPTION_ARG_STRING, &upsample.value, "Decoder upsampling: resize (nearest x2 + 3x3 conv, half-resolution head; default) or transposed (Pix2Pix)", "NAME"},
      {"class-weight", 0, 0, G_OPTION_ARG_DOUBLE, &class_weight, "Weight of the colour-class loss of the classification head (default 1 with --upsample resize and --space lab, else 0 = regression only)", "X"},
      {"hints", 0, 0, G_OPTION_ARG_NONE, &hints, "Train a hint-capable generator: L plus simulated colour hints (a,b patches and a mask; none in one example of eight) in, a,b out; exported as a format 2 model that follows users' colour dots", nullptr},
      {"init", 0, 0, G_OPTION_ARG_FILENAME, &init.value, "Start the generator from the weights of a checkpoint folder or model file of the same architecture (fine-tuning); with --hints, the hint inputs start at zero weight, so the start behaves exactly like that generator", "PATH"},
      {"dropout", 0, 0, G_OPTION_ARG_DOUBLE, &o.dropout, "Dropout of the 3 innermost decoder blocks (default 0; Pix2Pix uses 0.5)", "P"},
      {"depth", 0, 0, G_OPTION_ARG_INT, &o.depth, "Generator levels; --size must be a multiple of 2^depth (default 7)", "N"},
      {"width", 0, 0, G_OPTION_ARG_INT, &o.width, "Generator filters of the first level (default 32)", "N"},
      {"disc-width", 0, 0, G_OPTION_ARG_INT, &o.disc_width, "Discriminator filters of the first layer (default 64)", "N"},
      {"disc-layers", 0, 0, G_OPTION_ARG_INT, &o.disc_layers, "Discriminator strided layers (default 3 = 70x70 patches)", "N"},
      {"device", 0, 0, G_OPTION_ARG_STRING, &device.value, "auto (default), cpu or cuda", "NAME"},
      {"threads", 't', 0, G_OPTION_ARG_INT, &o.threads, "LibTorch threads (default: all cores; on a machine busy with other work, 1 can be several times faster)", "N"},
      {"workers", 0, 0, G_OPTION_ARG_INT, &o.workers, "Data-loading threads (default 2)", "N"},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed (default 1)", "N"},
      {"max-images", 0, 0, G_OPTION_ARG_INT, &o.max_images, "Use at most N training photos (default: all)", "N"},
      {"samples-every", 0, 0, G_OPTION_ARG_INT, &o.samples_every, "Write a sample grid every N epochs (default 5, 0 = never)", "N"},
      {"num-samples", 0, 0, G_OPTION_ARG_INT, &o.num_samples, "Images per block of the sample grid (default 6)", "N"},
      {"half", 0, 0, G_OPTION_ARG_NONE, &half, "Export model.pt with float16 parameters (half the size)", nullptr},
      {"resume", 'r', 0, G_OPTION_ARG_NONE, &resume, "Continue from the last checkpoint in --out with its options (--epochs, --pretrain-epochs, --decay-epochs, --lr, --lambda and run-time options may be changed; --threads stays the run's unless given, as only the same count continues it bit for bit; a damaged newest checkpoint falls back to the previous complete one)", nullptr},
      {"force", 0, 0, G_OPTION_ARG_NONE, &force, "Start a new run even if --out holds an earlier run's files (they are deleted first)", nullptr},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Only warnings, errors and the final summary", nullptr},
      {"name", 0, 0, G_OPTION_ARG_STRING, &name.value, "Model name written into the exported file", "TEXT"},
      {"license", 0, 0, G_OPTION_ARG_STRING, &license.value, "License written into the exported file", "TEXT"},
      {"accumulate", 0, 0, G_OPTION_ARG_INT, &o.accumulate, "Train each batch in N parts one after another, batch-norm statistics per part (default 1; N processes with the same --batch train exactly like one with --accumulate N)", "N"},
      {"world-size", 0, 0, G_OPTION_ARG_INT, &o.dist.world_size, "Processes of a data-parallel run; --batch is split among them (default $WORLD_SIZE, else 1)", "N"},
      {"rank", 0, 0, G_OPTION_ARG_INT, &o.dist.rank, "This process's rank, 0..world size - 1; rank 0 writes the run's files (default $RANK, else 0)", "N"},
      {"master-addr", 0, 0, G_OPTION_ARG_STRING, &master_addr.value, "Host of rank 0, which serves the rendezvous (default $MASTER_ADDR, else 127.0.0.1)", "HOST"},
      {"master-port", 0, 0, G_OPTION_ARG_INT, &o.dist.master_port, "Port of the rendezvous (default $MASTER_PORT, else 29500)", "N"},
      {"local-rank", 0, 0, G_OPTION_ARG_INT, &o.dist.local_rank, "CUDA device of this process (default $LOCAL_RANK, else 0)", "N"},
      {"dist-timeout", 0, 0, G_OPTION_ARG_INT, &o.dist.timeout_s, "Seconds to wait for the rendezvous, and for a rank that stays silent, before stopping (default 600)", "S"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  parse("[train] - train a colorization model",
        "Trains a Pix2Pix colorizer (U-Net + PatchGAN on CIE Lab) from folders of colour photos.\n"
        "The defaults are the shipped default model's recipe: a U-Net with resize-convolution\n"
        "upsampling and two heads (a,b regression with L1, colour classes with rebalanced\n"
        "cross-entropy), without a GAN phase (--pretrain-epochs below --epochs adds one).",
        "Examples:\n"
        "  colorize-train --data photos/ --out run1\n"
        "  colorize-train --data photos/ --data more/ --prefix-weight utk=0.25 --val-list held-out.txt --out run1\n"
        "  colorize-train --out run1 --resume --epochs 80\n"
        "  colorize-train export --checkpoint run1/checkpoints/epoch-0040 --out model.pt\n"
        "  colorize-train eval --model model.pt --data holdout/\n"
        "\n"
        "  WORLD_SIZE=2 RANK=0 MASTER_ADDR=node0 colorize-train --data photos/ --out run1   (and RANK=1 on a second machine)\n"
        "\n"
        "Environment: COLORIZE_JIT_OPTIMIZE=0 turns TorchScript graph optimisation off (for benchmarks).\n"
        "RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, LOCAL_RANK (as torchrun sets them): a data-parallel run.\n",
        entries, argc, argv);
  o.data_dirs = data.strings();
  o.prefix_weights = weights.joined();
  val.copy_to(o.val_dir);
  val_list.copy_to(o.val_list);
  out.copy_to(o.out_dir);
  device.copy_to(o.device);
  name.copy_to(o.name);
  license.copy_to(o.license);
  master_addr.copy_to(o.dist.master_addr);
  init.copy_to(o.init);
  o.hints = hints;
  if (gan.value) o.gan_loss = choose<GanLoss>("gan-loss", gan.value, {{"bce", GanLoss::Bce}, {"lsgan", GanLoss::Lsgan}});
  if (space.value) o.space = choose<Space>("space", space.value, {{"lab", Space::Lab}, {"rgb", Space::Rgb}});
  if (arch.value) o.arch = choose<Arch>("arch", arch.value, {{"unet", Arch::UNet}, {"autoencoder", Arch::Autoencoder}});
  if (upsample.value)
    o.upsample = choose<Upsample>("upsample", upsample.value, {{"resize", Upsample::Resize}, {"transposed", Upsample::Transposed}});
  // The class head needs the resize decoder and a,b output: without them it
  // is off unless asked for (then validate() explains the conflict).
  if (class_weight != -INFINITY)
    o.class_weight = class_weight;
  else if (o.upsample != Upsample::Resize || o.space != Space::Lab)
    o.class_weight = 0;
  o.seed = seed;
  o.epochs_given = epochs != -1;
  if (o.epochs_given) o.epochs = epochs;
  o.pretrain_given = pretrain != -1;
  if (o.pretrain_given) o.pretrain_epochs = pretrain;
  o.decay_given = decay != -1;
  if (o.decay_given) o.decay_epochs = decay;
  o.lr_given = lr != -1;
  if (o.lr_given) o.lr = lr;
  o.lambda_given = lambda != -INFINITY;
  if (o.lambda_given) o.lambda_l1 = lambda;
  o.resume = resume;
  o.force = force;
  o.quiet = quiet;
  o.half = half;
  validate(o);
  // A resumed run keeps the --init it started from as a record only.
  if (o.resume && !o.init.empty())
    throw UsageError("--init starts a new run; --resume continues from the run's own checkpoint");
  return o;
}

void validate(const TrainOptions &o) {
  require(!o.out_dir.empty(), "--out DIR is required");
  require(!(o.resume && o.force), "--resume and --force cannot be used together");
  require(o.accumulate >= 1 && o.accumulate <= 256, "--accumulate must be in 1..256");
  require(o.dist.timeout_s >= 1 && o.dist.timeout_s <= 86400, "--dist-timeout must be in 1..86400 seconds");
  if (o.resume && o.data_dirs.empty()) return;  // the rest comes from the checkpoint
  require(!o.data_dirs.empty(), "--data DIR is required");
  require(o.depth >= 2 && o.depth <= 10, "--depth must be in 2..10 (got " + std::to_string(o.depth) + ")");
  const int multiple = 1 << o.depth;
  require(o.size >= multiple && o.size % multiple == 0,
          "--size " + std::to_string(o.size) + " is not a positive multiple of 2^depth = " +
              std::to_string(multiple) + " (try --size " + std::to_string(multiple * std::max(1, o.size / multiple)) +
              " or a smaller --depth)");
  require(o.size <= kMaxResolution, "--size must be at most " + std::to_string(kMaxResolution) +
                                        " (the largest input_size a model may have)");
  require(o.width >= 1 && o.width <= 512, "--width must be in 1..512");
  require(o.disc_width >= 1 && o.disc_width <= 512, "--disc-width must be in 1..512");
  require(o.disc_layers >= 1 && o.disc_layers <= 6, "--disc-layers must be in 1..6");
  require(o.batch >= 1, "--batch must be at least 1");
  require(o.epochs >= 1, "--epochs must be at least 1");
  require(o.pretrain_epochs >= 0, "--pretrain-epochs must not be negative");
  require(o.class_weight >= 0 && o.class_weight <= 100, "--class-weight must be in 0..100");  // NaN fails too
  require(!o.hints || o.space == Space::Lab, "--hints needs --space lab (hints are a,b values)");
  require(o.class_weight == 0 || (o.upsample == Upsample::Resize && o.space == Space::Lab),
          "--class-weight needs --upsample resize and --space lab (or --class-weight 0)");
  require(o.dropout >= 0 && o.dropout < 1, "--dropout must be in [0, 1)");
  require(o.val_dir.empty() || o.val_list.empty(), "--val-dir and --val-list cannot be used together");
  require(o.decay_epochs >= 0, "--decay-epochs must not be negative");
  require(o.lr > 0 && o.lr < 1, "--lr must be in (0, 1)");
  require(o.lambda_l1 >= 0 && std::isfinite(o.lambda_l1), "--lambda must be a finite number, not negative");
  require(o.threads >= 0 && o.threads <= kMaxThreads,
          "--threads must be in 0.." + std::to_string(kMaxThreads) + " (0 = all cores)");
  require(o.workers >= 1 && o.workers <= 64, "--workers must be in 1..64");
  require(o.val_fraction >= 0 && o.val_fraction <= 0.5, "--val-fraction must be in 0..0.5");
  require(o.max_images >= 0, "--max-images must not be negative");
  require(o.samples_every >= 0, "--samples-every must not be negative");
  require(o.num_samples >= 0 && o.num_samples <= 32, "--num-samples must be in 0..32");
  require(o.device == "auto" || o.device == "cpu" || o.device == "cuda",
          "--device: unknown value '" + o.device + "' (choose auto, cpu, cuda)");
}


ExportOptions parse_export_options(int argc, char **argv) {
  ExportOptions o;
  StringArg checkpoint, out, name, license;
  gboolean half = FALSE;
  GOptionEntry entries[] = {
      {"checkpoint", 'c', 0, G_OPTION_ARG_FILENAME, &checkpoint.value, "Checkpoint folder (e.g. run/checkpoints/epoch-0040)", "DIR"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out.value, "Model file to write", "FILE"},
      {"half", 0, 0, G_OPTION_ARG_NONE, &half, "Store float16 parameters (half the size)", nullptr},
      {"blend", 0, 0, G_OPTION_ARG_DOUBLE, &o.blend, "Share of the colour-class decoding in the output, 0..1 (models with a classification head; default: the checkpoint's)", "W"},
      {"temperature", 0, 0, G_OPTION_ARG_DOUBLE, &o.temperature, "Annealed-mean temperature of the colour-class decoding, (0, 10] (default: the checkpoint's)", "T"},
      {"average", 0, 0, G_OPTION_ARG_INT, &o.average, "Average the generator weights of the N checkpoints up to --checkpoint (its epoch and the N-1 before it; default 1)", "N"},
      {"name", 0, 0, G_OPTION_ARG_STRING, &name.value, "Model name", "TEXT"},
      {"license", 0, 0, G_OPTION_ARG_STRING, &license.value, "License text", "TEXT"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  parse("export - write a model file from a checkpoint",
        "Writes the generator of a checkpoint as a model file (TorchScript + colorize.json).", nullptr,
        entries, argc, argv);
  checkpoint.copy_to(o.checkpoint);
  out.copy_to(o.out);
  name.copy_to(o.name);
  license.copy_to(o.license);
  o.half = half;
  require(!o.checkpoint.empty(), "--checkpoint DIR is required");
  require(!o.out.empty(), "--out FILE is required");
  require(std::isnan(o.blend) || (o.blend >= 0 && o.blend <= 1), "--blend must be in 0..1");
  require(std::isnan(o.temperature) || (o.temperature > 0 && o.temperature <= 10),
          "--temperature must be in (0, 10]");
  require(o.average >= 1 && o.average <= 1000, "--average must be in 1..1000");
  return o;
}

EvalOptions parse_eval_options(int argc, char **argv) {
  EvalOptions o;
  StringsArg data;
  StringArg model, list, device, grid;
  GOptionEntry entries[] = {
      {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model.value, "Model file", "FILE"},
      {"data", 'd', 0, G_OPTION_ARG_FILENAME_ARRAY, &data.value, "Folder of colour photos (may be repeated)", "DIR"},
      {"list", 0, 0, G_OPTION_ARG_FILENAME, &list.value, "Only the photos of --data named in FILE (one file name per line), e.g. a run's --val-list", "FILE"},
      {"resolution", 0, 0, G_OPTION_ARG_INT, &o.resolution, "Working resolution (default: the model's)", "N"},
      {"device", 0, 0, G_OPTION_ARG_STRING, &device.value, "auto (default), cpu or cuda", "NAME"},
      {"threads", 't', 0, G_OPTION_ARG_INT, &o.threads, "LibTorch threads (default: all cores)", "N"},
      {"max-images", 0, 0, G_OPTION_ARG_INT, &o.max_images, "Evaluate at most N photos", "N"},
      {"grid", 0, 0, G_OPTION_ARG_FILENAME, &grid.value, "Also write a sample grid (real / grayscale / result)", "FILE"},
      {"grid-count", 0, 0, G_OPTION_ARG_INT, &o.grid_count, "Photos in the grid, spread evenly over the set (default 8)", "N"},
      {"grid-columns", 0, 0, G_OPTION_ARG_INT, &o.grid_columns, "Photos per row block of the grid (default 8)", "N"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  parse("eval - compare a model with the grayscale baseline",
        "Colorizes grayscale versions of colour photos through the colorize pipeline and prints\n"
        "PSNR, mean Delta E (a,b), colourfulness, chroma ripple in flat areas and the L error,\n"
        "next to the grayscale baseline (a = b = 0) and the originals.", nullptr, entries, argc, argv);
  model.copy_to(o.model);
  o.data_dirs = data.strings();
  list.copy_to(o.list);
  device.copy_to(o.device);
  grid.copy_to(o.grid);
  require(!o.model.empty(), "--model FILE is required");
  require(o.grid_count >= 1 && o.grid_count <= 64, "--grid-count must be in 1..64");
  require(o.grid_columns >= 1 && o.grid_columns <= 16, "--grid-columns must be in 1..16");
  require(!o.data_dirs.empty(), "--data DIR is required");
  require(o.resolution >= 0 && o.resolution <= kMaxResolution,
          "--resolution must be in 0.." + std::to_string(kMaxResolution) + " (0 = the model's)");
  require(o.threads >= 0 && o.threads <= kMaxThreads,
          "--threads must be in 0.." + std::to_string(kMaxThreads) + " (0 = all cores)");
  require(o.max_images >= 0, "--max-images must not be negative");
  return o;
}

}  // namespace colorize::train
