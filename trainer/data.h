// Training data: folder scan, decoding and checks, random crops turned into
// network inputs/targets with core's colour definitions, and batches built
// ahead of time in worker threads. No LibTorch here: batches are plain
// float arrays in N,C,H,W order.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>

#include "options.h"

namespace colorize::train {

/// Image files under `dir`, recursively (JPEG, PNG, TIFF, WebP by
/// extension, case-insensitive), sorted. Throws UsageError when `dir` is not
/// a readable folder.
std::vector<std::string> list_images(const std::string &dir);

struct Photo {
  std::string path;
  cv::Mat bgr;          ///< CV_8UC3
  double weight = 1.0;  ///< expected appearances per epoch (see BatchLoader)
};

/// Source prefix of a photo: its file name up to the first '_' or '-'
/// ("utk_00012.jpg" -> "utk"); the whole stem when it has neither.
std::string source_prefix(const std::string &path);

/// Parses "PREFIX=W[,PREFIX=W...]" (W >= 0). Throws UsageError.
std::vector<std::pair<std::string, double>> parse_prefix_weights(const std::string &text);

/// Sets each photo's sampling weight from its source prefix (1 when the
/// prefix is not listed).
void apply_prefix_weights(std::vector<Photo> &photos, const std::string &prefix_weights);

/// Called once per skipped file with its path and the reason.
using WarnFn = std::function<void(const std::string &path, const std::string &reason)>;

/// Decodes one photo as 8-bit BGR (EXIF orientation applied). A JPEG (by
/// content) is first read through with libjpeg, so damaged or truncated
/// data is refused instead of coming out partly gray. Returns an empty Mat
/// and sets `reason` when the file cannot be used.
cv::Mat read_photo(const std::string &path, std::string &reason);

/// Decodes `paths` (in `threads` threads) with read_photo(), skipping
/// unusable files (damaged JPEG data among them) and grayscale photos with
/// one warning each. Photos whose short side exceeds
/// `max_short_side` are downscaled (0 = keep). Order follows `paths`.
std::vector<Photo> load_photos(const std::vector<std::string> &paths, int max_short_side,
                               int threads, const WarnFn &warn);

/// True when the photo carries (almost) no colour.
bool is_grayscale(const cv::Mat &bgr);

/// One network example: x = normalised L (CV_32FC1; CV_32FC4 with the hint
/// channels of hints.h), y = target (CV_32FC2 a,b or CV_32FC3 R,G,B,
/// normalised), rgb8 = the crop (CV_8UC3, BGR).
struct Example {
  cv::Mat x, y, bgr8;
};

/// a,b in Lab units (CV_32FC2) of an example's target at half resolution
/// (2 x 2 means), where the classification head works.
cv::Mat half_resolution_ab(const Example &e);

/// The pixels of the half-resolution grid that the class loss is computed
/// on: every other one in each direction (a quarter of them, to keep the
/// loss cheap), as a,b in Lab units (CV_32FC2, size / 4 per side).
cv::Mat class_target_ab(const Example &e);

/// Random crop of side `size` with scale jitter (the crop covers between
/// `size` pixels and the whole short side) and a random horizontal flip.
cv::Mat random_crop(const cv::Mat &bgr, int size, std::mt19937_64 &rng);
/// Short side resized to `size`, centre square crop.
cv::Mat center_crop(const cv::Mat &bgr, int size);
/// Network input and target for a BGR 8-bit crop.
Example make_example(const cv::Mat &bgr8, Space space);

struct Batch {
  int n = 0, size = 0, x_channels = 1, y_channels = 0;
  std::vector<float> x;  ///< n x x_channels x size x size
  std::vector<float> y;  ///< n x y_channels x size x size
  /// With class targets: n x kNeighbours x size/4 x size/4 class indices
  /// and weights (soft-encoded a,b of class_target_ab(), see ab_bins.h);
  /// empty otherwise.
  std::vector<int32_t> class_index;
  std::vector<float> class_weight;
};

/// Copies examples into a Batch (planar N,C,H,W), with soft class targets
/// when `class_targets` (Lab examples only).
Batch make_batch(const std::vector<Example> &examples, bool class_targets = false);

/// Produces the batches of an epoch in order, built ahead in worker
/// threads. The content of batch k depends only on (seed, epoch, k), never on
/// which thread built it, so runs are reproducible for any worker count.
///
/// Each epoch a photo of weight w appears floor(w) times, plus once more
/// with probability w - floor(w), in a random order: a weight of 0.25 shows
/// a photo in one epoch out of four on average, 2 twice per epoch.
///
/// With `shards` > 1 the loader yields only part `shard` (0-based) of each
/// batch: its batch / shards examples from position shard * batch / shards
/// on, exactly the examples the whole batch has there. The processes of a
/// data-parallel run each take one part, so together they train on the
/// batches of one process. `batch` (limited to the number of photos) must
/// then be a multiple of `shards` (std::invalid_argument otherwise).
///
/// With `hints`, each example gets random_hint_count() simulated hints
/// (hints.h), drawn from the example's own random stream.
class BatchLoader {
 public:
  BatchLoader(const std::vector<Photo> &photos, int size, int batch, Space space,
              int64_t seed, int workers, bool class_targets = false, int shard = 0, int shards = 1,
              bool hints = false);
  ~BatchLoader();
  BatchLoader(const BatchLoader &) = delete;
  BatchLoader &operator=(const BatchLoader &) = delete;

  /// Batches in an epoch on average (the photos' weights summed / batch).
  int batches_per_epoch() const;
  /// Starts producing the batches of `epoch`; next() then returns them.
  /// Returns how many batches this epoch has.
  int start_epoch(int epoch);
  /// Next batch of the current epoch; false when the epoch is over.
  bool next(Batch &out);

 private:
  void work();
  Batch build(const std::vector<int> &order, int epoch, int index) const;

  const std::vector<Photo> &photos_;
  const int size_, batch_;
  int part_ = 0, first_ = 0;  ///< examples of this shard in each batch, from position first_
  const Space space_;
  const int64_t seed_;
  const bool class_targets_, hints_;
  std::shared_ptr<const std::vector<int>> order_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<int, Batch> ready_;
  int epoch_ = -1, next_build_ = 0, next_take_ = 0, total_ = 0;
  bool stop_ = false;
  static constexpr int kAhead = 4;  ///< batches prepared ahead at most
};

}  // namespace colorize::train
