// The training run and the other subcommands' entry points.
#pragma once

#include <string>

#include "data.h"
#include "options.h"
#include "state.h"

namespace colorize::train {

struct TrainResult {
  TrainState state;
  std::string model_path;  ///< out/model.pt
};

/// Trains (or with options.resume continues) a model as described in
/// options.h; writes checkpoints, losses.csv, losses.png, samples/ and
/// model.pt under options.out_dir. Skipped data files are reported through
/// `warn` (default: printed to stderr). Throws UsageError for unusable
/// options or data, other std::exceptions for failures while running.
/// When options.dist or torchrun's variables name several processes, this
/// process is one rank of a data-parallel run (distributed.h): it trains on
/// its share of every batch, and only rank 0 writes files (DistributedError
/// when the other ranks cannot be reached or one of them stops).
TrainResult run_training(const TrainOptions &options, const WarnFn &warn = {});

/// `colorize-train export`: 0 on success; throws on failure.
int run_export(const ExportOptions &options);

/// `colorize-train eval`: prints the table to stdout; 0 on success.
int run_eval(const EvalOptions &options);

/// Learning rate of 0-based `epoch` (constant, then linear decay to 0 over
/// the last decay_epochs epochs).
double learning_rate(const TrainOptions &o, int epoch);

}  // namespace colorize::train
