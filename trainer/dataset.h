// The photos of a training run: which of the data folders' photos train and
// which validate (--val-dir, --val-list or a seeded --val-fraction split),
// their sampling weights (--prefix-weight), and the colour-class prior.
// No LibTorch here.
#pragma once

#include <string>
#include <vector>

#include "data.h"
#include "options.h"

namespace colorize::train {

struct Dataset {
  std::vector<Photo> train, val;
  int skipped = 0;  ///< files that could not be used (each reported through `warn`)
};

/// Validation photos are capped so each epoch's check stays cheap.
constexpr int kMaxValPhotos = 500;

/// Lists, splits and decodes the photos of a run. Throws UsageError for
/// missing folders, an unreadable or unmatched --val-list, bad weights or no
/// usable training photo.
Dataset load_dataset(const TrainOptions &o, const WarnFn &warn);

/// File names (no folders) listed in a --val-list file: one per line; blank
/// lines and lines starting with '#' are ignored. Throws UsageError.
std::vector<std::string> read_name_list(const std::string &path);

/// Nearest-class counts over the half-resolution a,b of a centre crop of
/// `size` of (at most `max_photos` evenly spread) photos.
std::vector<double> class_counts(const std::vector<Photo> &photos, int size, int max_photos = 2000);

}  // namespace colorize::train
