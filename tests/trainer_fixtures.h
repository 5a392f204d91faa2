// Helpers of the trainer's test programs: tiny, fast, deterministic runs on
// copies of the fixture photos.
#pragma once

#include <filesystem>
#include <string>

#include "options.h"
#include "support.h"

namespace colorize::testing {

/// The six colour fixture photos.
inline const char *const kTrainPhotos[] = {"astronaut.png", "chelsea.png", "china.jpg",
                                           "coffee.png", "flower.jpg", "rocket.jpg"};

/// Options for a tiny, fast, deterministic run of the default recipe.
inline train::TrainOptions tiny_options(const std::string &data, const std::string &out) {
  train::TrainOptions o;
  o.data_dirs = {data};
  o.out_dir = out;
  o.size = 32;
  o.depth = 3;
  o.width = 8;
  o.disc_width = 8;
  o.disc_layers = 2;
  o.batch = 2;
  o.epochs = 3;
  o.pretrain_epochs = 1;
  o.decay_epochs = 0;
  o.threads = 1;
  o.workers = 2;
  o.val_fraction = 0.34;  // 2 of the 6 photos
  o.samples_every = 0;
  o.num_samples = 2;
  o.quiet = true;
  o.seed = 7;
  o.device = "cpu";
  return o;
}

}  // namespace colorize::testing
