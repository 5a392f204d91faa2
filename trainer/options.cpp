// Option parsing for colorize-train with GLib's GOptionContext.
#include "options.h"

#include <cmath>
#include <vector>

#include "colorize/metadata.h"
#include "colorize/model.h"
#include "train_options.h"

namespace colorize::train {
namespace {

/// A string option's value, if given.
void copy_to(const gchar *value, std::string &out) {
  if (value) out = value;
}

/// The options of `entries` as a group for parse().
GOptionGroup *group_of(GOptionEntry *entries) {
  GOptionGroup *group = g_option_group_new(nullptr, nullptr, nullptr, nullptr, nullptr);
  g_option_group_add_entries(group, entries);
  return group;
}

/// Parses argv (copied, GLib removes what it consumed) with the options of
/// `group` (taken over).
void parse(const char *parameter, const char *summary, const char *description, GOptionGroup *group, int argc,
           char **argv) {
  g_autoptr(GOptionContext) context = g_option_context_new(parameter);
  g_option_context_set_summary(context, summary);
  if (description) g_option_context_set_description(context, description);
  g_option_context_set_main_group(context, group);
  std::vector<char *> args(argv, argv + argc);
  int n = argc;
  char **p = args.data();
  g_autoptr(GError) error = nullptr;
  if (!g_option_context_parse(context, &n, &p, &error)) throw UsageError(error->message);
  if (n > 1) throw UsageError(std::string("unexpected argument '") + p[1] + "'");
}

void require(bool ok, const std::string &message) {
  if (!ok) throw UsageError(message);
}

}  // namespace

TrainOptions parse_train_options(int argc, char **argv) {
  TrainOptions o;
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
        "  WORLD_SIZE=2 RANK=0 MASTER_ADDR=node0 colorize-train --data photos/ --out run1"
        "   (and RANK=1 on a second machine)\n"
        "\n"
        "Environment: COLORIZE_JIT_OPTIMIZE=0 turns TorchScript graph optimisation off (for benchmarks).\n"
        "RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, LOCAL_RANK (as torchrun sets them): a data-parallel run.\n",
        train_option_group(o), argc, argv);
  // The class head needs the resize decoder and a,b output: without them it
  // is off unless asked for (then validate() explains the conflict).
  if (!o.given.count("class-weight") && (o.upsample != Upsample::Resize || o.space != Space::Lab)) o.class_weight = 0;
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
          "--size " + std::to_string(o.size) + " is not a positive multiple of 2^depth = " + std::to_string(multiple) +
              " (try --size " + std::to_string(multiple * std::max(1, o.size / multiple)) + " or a smaller --depth)");
  require(o.size <= kMaxResolution,
          "--size must be at most " + std::to_string(kMaxResolution) + " (the largest input_size a model may have)");
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
  g_autofree gchar *checkpoint = nullptr, *out = nullptr, *name = nullptr, *license = nullptr;
  gboolean half = FALSE;
  GOptionEntry entries[] = {
      {"checkpoint", 'c', 0, G_OPTION_ARG_FILENAME, &checkpoint, "Checkpoint folder (e.g. run/checkpoints/epoch-0040)",
       "DIR"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Model file to write", "FILE"},
      {"half", 0, 0, G_OPTION_ARG_NONE, &half, "Store float16 parameters (half the size)", nullptr},
      {"blend", 0, 0, G_OPTION_ARG_DOUBLE, &o.blend,
       "Share of the colour-class decoding in the output, 0..1 (models with a classification head; default: the "
       "checkpoint's)",
       "W"},
      {"temperature", 0, 0, G_OPTION_ARG_DOUBLE, &o.temperature,
       "Annealed-mean temperature of the colour-class decoding, (0, 10] (default: the checkpoint's)", "T"},
      {"average", 0, 0, G_OPTION_ARG_INT, &o.average,
       "Average the generator weights of the N checkpoints up to --checkpoint (its epoch and the N-1 before it; "
       "default 1)",
       "N"},
      {"name", 0, 0, G_OPTION_ARG_STRING, &name, "Model name", "TEXT"},
      {"license", 0, 0, G_OPTION_ARG_STRING, &license, "License text", "TEXT"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  parse("export - write a model file from a checkpoint",
        "Writes the generator of a checkpoint as a model file (TorchScript + colorize.json).", nullptr,
        group_of(entries), argc, argv);
  copy_to(checkpoint, o.checkpoint);
  copy_to(out, o.out);
  copy_to(name, o.name);
  copy_to(license, o.license);
  o.half = half;
  require(!o.checkpoint.empty(), "--checkpoint DIR is required");
  require(!o.out.empty(), "--out FILE is required");
  require(std::isnan(o.blend) || (o.blend >= 0 && o.blend <= 1), "--blend must be in 0..1");
  require(std::isnan(o.temperature) || (o.temperature > 0 && o.temperature <= 10), "--temperature must be in (0, 10]");
  require(o.average >= 1 && o.average <= 1000, "--average must be in 1..1000");
  return o;
}

EvalOptions parse_eval_options(int argc, char **argv) {
  EvalOptions o;
  g_auto(GStrv) data = nullptr;
  g_autofree gchar *model = nullptr, *list = nullptr, *device = nullptr, *grid = nullptr;
  GOptionEntry entries[] = {
      {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Model file", "FILE"},
      {"data", 'd', 0, G_OPTION_ARG_FILENAME_ARRAY, &data, "Folder of colour photos (may be repeated)", "DIR"},
      {"list", 0, 0, G_OPTION_ARG_FILENAME, &list,
       "Only the photos of --data named in FILE (one file name per line), e.g. a run's --val-list", "FILE"},
      {"resolution", 0, 0, G_OPTION_ARG_INT, &o.resolution, "Working resolution (default: the model's)", "N"},
      {"device", 0, 0, G_OPTION_ARG_STRING, &device, "auto (default), cpu or cuda", "NAME"},
      {"threads", 't', 0, G_OPTION_ARG_INT, &o.threads, "LibTorch threads (default: all cores)", "N"},
      {"max-images", 0, 0, G_OPTION_ARG_INT, &o.max_images, "Evaluate at most N photos", "N"},
      {"grid", 0, 0, G_OPTION_ARG_FILENAME, &grid, "Also write a sample grid (real / grayscale / result)", "FILE"},
      {"grid-count", 0, 0, G_OPTION_ARG_INT, &o.grid_count,
       "Photos in the grid, spread evenly over the set (default 8)", "N"},
      {"grid-columns", 0, 0, G_OPTION_ARG_INT, &o.grid_columns, "Photos per row block of the grid (default 8)", "N"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  parse("eval - compare a model with the grayscale baseline",
        "Colorizes grayscale versions of colour photos through the colorize pipeline and prints\n"
        "PSNR, mean Delta E (a,b), colourfulness, chroma ripple in flat areas and the L error,\n"
        "next to the grayscale baseline (a = b = 0) and the originals.",
        nullptr, group_of(entries), argc, argv);
  copy_to(model, o.model);
  for (gchar **d = data; d && *d; ++d) o.data_dirs.emplace_back(*d);
  copy_to(list, o.list);
  copy_to(device, o.device);
  copy_to(grid, o.grid);
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
