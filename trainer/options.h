// Command-line options of colorize-train (GLib GOptionContext), one struct
// per subcommand, validated before any work starts. No LibTorch here.
#pragma once

#include <cmath>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "colorize/metadata.h"

namespace colorize::train {

/// Bad command line or unusable input folder; the message is for the user.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class GanLoss { Bce, Lsgan };
enum class Arch { UNet, Autoencoder };
/// What the generator predicts: a,b (Lab) or R,G,B; core's ColorSpace, as
/// written into the exported model's colorize.json.
using Space = ColorSpace;
/// Decoder upsampling (see nets::Upsample).
enum class Upsample { Transposed, Resize };
/// Arithmetic of the networks' forward passes in training (precision.h):
/// float32, or bfloat16 where autocast allows it (convolutions, matrix
/// products) with float32 weights, gradients and optimizer.
enum class Precision { Float32, Bfloat16 };

const char *to_string(GanLoss v);
const char *to_string(Arch v);
const char *to_string(Upsample v);
const char *to_string(Precision v);

/// Where this process is in a data-parallel run (distributed.h); -1 or
/// empty = from torchrun's environment variable, else the default. Run-time
/// settings: not saved with the run, a resumed run may change them.
struct DistOptions {
  int rank = -1;            ///< --rank, $RANK (default 0)
  int world_size = -1;      ///< --world-size, $WORLD_SIZE (default 1: no other process)
  int local_rank = -1;      ///< --local-rank, $LOCAL_RANK (default 0): the CUDA device of this process
  std::string master_addr;  ///< --master-addr, $MASTER_ADDR (default 127.0.0.1): where rank 0 serves the rendezvous
  int master_port = -1;     ///< --master-port, $MASTER_PORT (default 29500)
  int timeout_s = 600;      ///< --dist-timeout: rendezvous, and how long a collective waits for a silent rank
};

/// Defaults are the recipe of the shipped default model (models/README.md).
/// Each member is a row of the option table in train_options.cpp (its
/// command-line option, its key in state.json, what --resume does with it).
struct TrainOptions {
  std::vector<std::string> data_dirs;  ///< one or more folders of colour photos
  std::string val_dir;        ///< empty = --val-list, else split --val-fraction off the data
  std::string val_list;       ///< file of photo names (one per line) held out of the data for validation
  std::string prefix_weights; ///< "PREFIX=W,...": sampling weight per source prefix
  std::string out_dir;
  int size = 128;             ///< crop side (pixels)
  int batch = 16;
  int epochs = 48;            ///< total, pre-training included
  int pretrain_epochs = 48;   ///< first epochs: no discriminator (L1 + classes); >= epochs: no GAN phase
  int decay_epochs = 14;      ///< last epochs: learning rate decays linearly
  double lr = 2e-4;
  double beta1 = 0.5;
  double beta2 = 0.999;
  double lambda_l1 = 100.0;
  GanLoss gan_loss = GanLoss::Bce;
  Space space = Space::Lab;
  Arch arch = Arch::UNet;
  Upsample upsample = Upsample::Resize;
  double class_weight = 1.0;  ///< weight of the colour-class loss (0 = no classification head)
  double dropout = 0.0;       ///< dropout of the innermost decoder blocks
  bool hints = false;         ///< generator takes simulated colour hints (hints.h) beside L
  std::string init;           ///< new run: generator weights from this checkpoint folder or model file
  int depth = 7;
  int width = 32;
  int disc_width = 64;
  int disc_layers = 3;
  std::string device = "auto";
  int threads = 0;            ///< LibTorch intra-op threads; 0 = all cores
  Precision precision = Precision::Float32;  ///< forward arithmetic in training
  int workers = 2;            ///< data-loading threads
  int64_t seed = 1;
  double val_fraction = 0.05;
  int max_images = 0;         ///< use at most this many training photos (0 = all)
  int samples_every = 5;      ///< sample grid every N epochs (0 = never)
  int num_samples = 6;        ///< images per row block of the sample grid
  bool half = false;          ///< export parameters as float16
  bool resume = false;
  bool force = false;         ///< a new run may replace an earlier run's files in out_dir
  bool quiet = false;
  std::string name = "colorize";
  std::string license;
  /// Each batch is trained in this many parts one after another, with
  /// batch-norm statistics per part (run-time setting, see step.h).
  int accumulate = 1;
  DistOptions dist;           ///< run-time setting
  /// Long names of the options given on the command line (on --resume,
  /// these replace the run's schedule: --epochs, --lr, ...).
  std::set<std::string> given;
};

struct ExportOptions {
  std::string checkpoint;     ///< a checkpoint folder (out/checkpoints/epoch-N)
  std::string out;
  bool half = false;
  double blend = std::nan("");        ///< classification share of the output (NaN: keep the checkpoint's)
  double temperature = std::nan("");  ///< annealed-mean temperature (NaN: keep the checkpoint's)
  int average = 1;            ///< average the generators of this many checkpoints up to `checkpoint`
  std::string name;
  std::string license;
};

struct EvalOptions {
  std::string model;
  std::vector<std::string> data_dirs;
  std::string list;           ///< only the photos named in this file
  int resolution = 0;         ///< 0 = the model's input_size
  std::string device = "auto";
  int threads = 0;
  int max_images = 0;
  std::string grid;           ///< write a real / grayscale / result grid here
  int grid_count = 8;         ///< photos in the grid (spread evenly over the set)
  int grid_columns = 8;       ///< photos per row block of the grid
};

/// argv[0] = program name, the subcommand word already removed. Throws
/// UsageError. --help prints the help and exits (GLib's behaviour).
TrainOptions parse_train_options(int argc, char **argv);
ExportOptions parse_export_options(int argc, char **argv);
EvalOptions parse_eval_options(int argc, char **argv);

/// Checks values that need no file access (sizes, ranges, enums).
void validate(const TrainOptions &o);

/// Options of a resumed run: the run's own (`saved`, from its checkpoint),
/// with the schedule options given on the command line (--epochs,
/// --pretrain-epochs, --decay-epochs, --lr, --lambda, --threads, --half)
/// and the run-time settings (--out, --device, --workers, --quiet, ...)
/// from `cli`. The thread count stays the run's unless given: it changes
/// the order of floating-point sums, so only the same count continues the
/// run bit for bit.
TrainOptions resumed_options(const TrainOptions &cli, TrainOptions saved);

/// Entry point of the program (also called by the tests): dispatches to
/// train / export / eval, prints errors, returns the exit status.
int run_cli(int argc, char **argv);

}  // namespace colorize::train
