// The photos of a training run: see dataset.h.
#include "dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "ab_bins.h"

namespace fs = std::filesystem;

namespace colorize::train {
namespace {

/// Cached photos keep at most this multiple of --size on their short side.
constexpr double kMaxScale = 2.25;

std::string name_of(const std::string &path) { return fs::path(path).filename().string(); }

/// Moves the paths named in `names` from `paths` to `val`.
void split_by_names(std::vector<std::string> &paths, std::vector<std::string> &val,
                    const std::vector<std::string> &names, const std::string &list_path) {
  const std::set<std::string> wanted(names.begin(), names.end());
  std::set<std::string> found;
  std::vector<std::string> rest;
  for (auto &p : paths) {
    if (wanted.count(name_of(p))) {
      found.insert(name_of(p));
      val.push_back(std::move(p));
    } else {
      rest.push_back(std::move(p));
    }
  }
  paths = std::move(rest);
  if (found.empty())
    throw UsageError(list_path + ": none of its " + std::to_string(wanted.size()) +
                     " photo names is in the --data folders");
}

}  // namespace

std::vector<std::string> read_name_list(const std::string &path) {
  std::ifstream f(path);
  if (!f) throw UsageError(path + ": cannot read the list of photo names");
  std::vector<std::string> names;
  std::string line;
  while (std::getline(f, line)) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line.find('/') != std::string::npos)
      throw UsageError(path + ": '" + line + "' is not a file name (the list names files, not paths)");
    names.push_back(line);
  }
  if (names.empty()) throw UsageError(path + ": the list names no photo");
  return names;
}

Dataset load_dataset(const TrainOptions &o, const WarnFn &warn) {
  std::vector<std::string> paths, val_paths;
  for (const auto &dir : o.data_dirs) {
    const auto found = list_images(dir);
    if (found.empty())
      throw UsageError(dir + ": no photos found (looked for JPEG, PNG, TIFF and WebP files, recursively)");
    paths.insert(paths.end(), found.begin(), found.end());
  }
  std::sort(paths.begin(), paths.end());
  parse_prefix_weights(o.prefix_weights);  // a usage error before any decoding
  if (!o.val_dir.empty()) {
    val_paths = list_images(o.val_dir);
  } else if (!o.val_list.empty()) {
    split_by_names(paths, val_paths, read_name_list(o.val_list), o.val_list);
  } else if (o.val_fraction > 0 && paths.size() >= 2) {
    std::vector<std::string> shuffled = paths;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(uint64_t(o.seed)));
    const size_t n = std::clamp<size_t>(size_t(std::lround(o.val_fraction * paths.size())), 1, paths.size() - 1);
    val_paths.assign(shuffled.begin(), shuffled.begin() + n);
    std::sort(val_paths.begin(), val_paths.end());
    std::vector<std::string> rest;
    std::set_difference(paths.begin(), paths.end(), val_paths.begin(), val_paths.end(), std::back_inserter(rest));
    paths = rest;
  }
  if (o.max_images > 0 && int(paths.size()) > o.max_images) paths.resize(o.max_images);
  if (val_paths.size() > size_t(kMaxValPhotos)) val_paths.resize(kMaxValPhotos);
  Dataset d;
  auto counting = [&](const std::string &p, const std::string &r) {
    ++d.skipped;
    warn(p, r);
  };
  const int cap = int(std::lround(o.size * kMaxScale));
  d.train = load_photos(paths, cap, std::max(1, o.workers), counting);
  d.val = load_photos(val_paths, cap, std::max(1, o.workers), counting);
  if (d.train.empty())
    throw UsageError((o.data_dirs.empty() ? std::string("--data") : o.data_dirs.front()) + ": none of the " +
                     std::to_string(paths.size()) + " image files is a usable colour photo");
  apply_prefix_weights(d.train, o.prefix_weights);
  double appearances = 0;
  for (const auto &p : d.train) appearances += p.weight;
  if (appearances < std::min<double>(o.batch, d.train.size()))
    throw UsageError("--prefix-weight: the training photos' weights add up to " + std::to_string(appearances) +
                     " per epoch, less than one batch of " + std::to_string(o.batch));
  return d;
}

std::vector<double> class_counts(const std::vector<Photo> &photos, int size, int max_photos) {
  const AbBins &bins = AbBins::gamut();
  std::vector<double> counts(bins.size(), 0.0);
  const size_t n = std::min(photos.size(), size_t(std::max(1, max_photos)));
  for (size_t i = 0; i < n; ++i) {
    const Photo &p = photos[i * photos.size() / n];
    count_classes(bins, half_resolution_ab(make_example(center_crop(p.bgr, size), Space::Lab)), counts);
  }
  return counts;
}

}  // namespace colorize::train
