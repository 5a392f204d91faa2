// Training state kept in every checkpoint (state.json, via json-glib): the
// options the run was started with, the epoch reached, per-epoch history
// and the data facts that go into the exported model's "training" object.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "metrics.h"
#include "options.h"

namespace colorize::train {

struct EpochStats {
  int epoch = 0;             ///< 1-based
  std::string phase;         ///< "l1" (pre-training / autoencoder) or "gan"
  double lr = 0;
  double g_l1 = 0;           ///< mean L1 (normalised units) over the epoch
  double g_class = 0;        ///< mean colour-class cross-entropy (0 without the head)
  double g_gan = 0;          ///< mean generator adversarial loss
  double d_loss = 0;         ///< mean discriminator loss
  double seconds = 0;        ///< wall time of the epoch (training only)
  double cpu_seconds = 0;    ///< process CPU time of the epoch (all threads)
  double images_per_s = 0;
  Scores val;                ///< validation scores after the epoch
};

struct TrainState {
  TrainOptions options;
  int epoch = 0;             ///< epochs completed
  double elapsed_s = 0;      ///< training wall time so far
  int64_t images_seen = 0;
  int train_photos = 0, val_photos = 0, skipped_files = 0;
  Scores val_gray;           ///< grayscale baseline on the validation crops
  double val_original_colorfulness = 0;
  std::vector<EpochStats> history;
};

std::string to_json(const TrainState &s);
/// Throws std::runtime_error naming `origin` when the text is not valid.
TrainState state_from_json(const std::string &text, const std::string &origin);

/// The "training" object of colorize.json for the state after `s.epoch`.
std::string training_facts_json(const TrainState &s);

/// losses.csv: one row per epoch of the history.
std::string losses_csv(const std::vector<EpochStats> &history);

/// The trainer's one way to write a file: `content` goes to a new file
/// beside `path` which then replaces `path` in one step, after its data is
/// on disk (GLib's g_file_set_contents_full), so readers see the old file
/// or the new one, never a part. Throws std::runtime_error naming the file.
void write_file_atomic(const std::string &path, const std::string &content);
/// Whole file; throws std::runtime_error naming the file.
std::string read_file(const std::string &path);

}  // namespace colorize::train
