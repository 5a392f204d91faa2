// Training data: see data.h.
#include "data.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ab_bins.h"
#include "hints.h"
#include "colorize/color.h"
#include "image_check.h"

namespace fs = std::filesystem;

namespace colorize::train {
namespace {

/// Mean chroma sqrt(a^2 + b^2) below which a photo counts as grayscale.
constexpr double kGrayChroma = 2.0;

bool has_image_extension(const fs::path &p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".tif" ||
         ext == ".tiff" || ext == ".webp";
}

/// splitmix64: decorrelates (seed, epoch, index) into one RNG seed.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t seed_of(int64_t seed, uint64_t a, uint64_t b) {
  return mix(mix(mix(static_cast<uint64_t>(seed)) ^ a) ^ (b * 0x2545F4914F6CDD1DULL));
}

cv::Mat resize_to(const cv::Mat &img, cv::Size to) {
  cv::Mat out;
  const bool shrink = to.width < img.cols || to.height < img.rows;
  cv::resize(img, out, to, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_CUBIC);
  return out;
}

}  // namespace

std::string source_prefix(const std::string &path) {
  const std::string stem = fs::path(path).stem().string();
  const size_t cut = stem.find_first_of("_-");
  return cut == std::string::npos ? stem : stem.substr(0, cut);
}

std::vector<std::pair<std::string, double>> parse_prefix_weights(const std::string &text) {
  std::vector<std::pair<std::string, double>> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    const size_t eq = item.find('=');
    char *rest = nullptr;
    const double w = eq == std::string::npos ? -1 : std::strtod(item.c_str() + eq + 1, &rest);
    if (eq == 0 || eq == std::string::npos || !rest || *rest != '\0' || rest == item.c_str() + eq + 1 ||
        !(w >= 0 && w <= 100))
      throw UsageError("--prefix-weight: '" + item + "' is not PREFIX=WEIGHT with a weight in 0..100");
    out.emplace_back(item.substr(0, eq), w);
    start = end + 1;
  }
  return out;
}

void apply_prefix_weights(std::vector<Photo> &photos, const std::string &prefix_weights) {
  const auto weights = parse_prefix_weights(prefix_weights);
  for (auto &p : photos) {
    p.weight = 1.0;
    const std::string prefix = source_prefix(p.path);
    for (const auto &[name, w] : weights)
      if (name == prefix) p.weight = w;
  }
}

std::vector<std::string> list_images(const std::string &dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw UsageError(dir + ": " + (fs::exists(dir, ec) ? "not a folder" : "no such folder"));
  std::vector<std::string> paths;
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec), end;
  if (ec) throw UsageError(dir + ": cannot read folder: " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) throw UsageError(dir + ": cannot read folder: " + ec.message());
    if (it->is_regular_file(ec) && has_image_extension(it->path())) paths.push_back(it->path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

bool is_grayscale(const cv::Mat &bgr) {
  cv::Mat small = bgr;
  const int side = std::min(bgr.cols, bgr.rows);
  if (side > 64) {
    const double f = 64.0 / side;
    cv::resize(bgr, small, cv::Size(), f, f, cv::INTER_AREA);
  }
  cv::Mat f32;
  small.convertTo(f32, CV_32F, 1.0 / 255.0);
  cv::Mat lab = rgb_to_lab(f32, ChannelOrder::Bgr);
  std::vector<cv::Mat> ch;
  cv::split(lab, ch);
  cv::Mat chroma;
  cv::magnitude(ch[1], ch[2], chroma);
  return cv::mean(chroma)[0] < kGrayChroma;
}

cv::Mat read_photo(const std::string &path, std::string &reason) {
  try {
    // No size limit here: OpenCV's own applies.
    cli::check_before_decoding(path, cli::ReadLimits{});
  } catch (const cli::CorruptJpeg &e) {
    reason = e.what();
    return {};
  } catch (const std::exception &e) {
    reason = std::string("cannot decode: ") + e.what();
    return {};
  }
  cv::Mat img;
  try {
    img = cv::imread(path, cv::IMREAD_COLOR);
  } catch (const cv::Exception &e) {
    reason = std::string("cannot decode: ") + e.what();
    return {};
  }
  if (img.empty() || img.cols < 1 || img.rows < 1) {
    reason = "cannot decode (not an image, or a corrupt or truncated file)";
    return {};
  }
  return img;
}

std::vector<Photo> load_photos(const std::vector<std::string> &paths, int max_short_side,
                               int threads, const WarnFn &warn) {
  std::vector<Photo> photos(paths.size());
  std::vector<std::string> reasons(paths.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < paths.size(); i = next++) {
      cv::Mat img = read_photo(paths[i], reasons[i]);
      if (img.empty()) continue;
      if (is_grayscale(img)) {
        reasons[i] = "grayscale photo (no colour to learn from)";
        continue;
      }
      const int side = std::min(img.cols, img.rows);
      if (max_short_side > 0 && side > max_short_side) {
        const double f = double(max_short_side) / side;
        cv::Size to(std::max(1, int(std::lround(img.cols * f))), std::max(1, int(std::lround(img.rows * f))));
        img = resize_to(img, to);
      }
      photos[i] = {paths[i], img};
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(work);
  work();
  for (auto &t : pool) t.join();
  std::vector<Photo> kept;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!reasons[i].empty()) {
      if (warn) warn(paths[i], reasons[i]);
    } else {
      kept.push_back(std::move(photos[i]));
    }
  }
  return kept;
}

cv::Mat random_crop(const cv::Mat &bgr, int size, std::mt19937_64 &rng) {
  const int side = std::min(bgr.cols, bgr.rows);
  const int lo = std::min(size, side);
  const int c = std::uniform_int_distribution<int>(lo, side)(rng);
  const int x = std::uniform_int_distribution<int>(0, bgr.cols - c)(rng);
  const int y = std::uniform_int_distribution<int>(0, bgr.rows - c)(rng);
  cv::Mat crop = resize_to(bgr(cv::Rect(x, y, c, c)), cv::Size(size, size));
  if (std::uniform_int_distribution<int>(0, 1)(rng)) cv::flip(crop, crop, 1);
  return crop;
}

cv::Mat center_crop(const cv::Mat &bgr, int size) {
  const int side = std::min(bgr.cols, bgr.rows);
  const cv::Rect r((bgr.cols - side) / 2, (bgr.rows - side) / 2, side, side);
  return resize_to(bgr(r), cv::Size(size, size));
}

Example make_example(const cv::Mat &bgr8, Space space) {
  const Normalization norm;
  cv::Mat f32;
  bgr8.convertTo(f32, CV_32F, 1.0 / 255.0);
  cv::Mat lab = rgb_to_lab(f32, ChannelOrder::Bgr);
  cv::Mat L, ab;
  cv::extractChannel(lab, L, 0);
  const int from_to[] = {1, 0, 2, 1};
  ab.create(lab.size(), CV_32FC2);
  cv::mixChannels(&lab, 1, &ab, 1, from_to, 2);
  Example e;
  e.x = normalize_l(L, norm);
  if (space == Space::Lab) {
    e.y = normalize_ab(ab, norm);
  } else {
    cv::Mat rgb;
    cv::cvtColor(f32, rgb, cv::COLOR_BGR2RGB);
    e.y = rgb_to_network(rgb);
  }
  e.bgr8 = bgr8;
  return e;
}

cv::Mat half_resolution_ab(const Example &e) {
  cv::Mat half;
  cv::resize(e.y, half, cv::Size(e.y.cols / 2, e.y.rows / 2), 0, 0, cv::INTER_AREA);
  return denormalize_ab(half, Normalization{});
}

cv::Mat class_target_ab(const Example &e) {
  const cv::Mat half = half_resolution_ab(e);
  cv::Mat out(half.rows / 2, half.cols / 2, CV_32FC2);
  for (int y = 0; y < out.rows; ++y)
    for (int x = 0; x < out.cols; ++x) out.at<cv::Vec2f>(y, x) = half.at<cv::Vec2f>(2 * y, 2 * x);
  return out;
}

Batch make_batch(const std::vector<Example> &examples, bool class_targets) {
  Batch b;
  b.n = int(examples.size());
  if (b.n == 0) return b;
  b.size = examples[0].x.rows;
  b.x_channels = examples[0].x.channels();
  b.y_channels = examples[0].y.channels();
  const size_t plane = size_t(b.size) * b.size;
  b.x.resize(b.n * b.x_channels * plane);
  b.y.resize(b.n * b.y_channels * plane);
  auto planar = [&](const cv::Mat &m, int channels, std::vector<float> &to, int i) {
    CV_Assert(m.type() == CV_32FC(channels) && m.rows == b.size && m.cols == b.size);
    std::vector<cv::Mat> ch;
    cv::split(m, ch);
    for (int c = 0; c < channels; ++c)
      std::copy(ch[c].ptr<float>(), ch[c].ptr<float>() + plane, to.begin() + (size_t(i) * channels + c) * plane);
  };
  for (int i = 0; i < b.n; ++i) {
    planar(examples[i].x, b.x_channels, b.x, i);
    planar(examples[i].y, b.y_channels, b.y, i);
  }
  if (class_targets) {
    CV_Assert(b.y_channels == 2 && b.size % 4 == 0);
    const size_t per_example = plane / 16 * AbBins::kNeighbours;
    b.class_index.resize(b.n * per_example);
    b.class_weight.resize(b.n * per_example);
    for (int i = 0; i < b.n; ++i)
      soft_encode_image(AbBins::gamut(), class_target_ab(examples[i]), b.class_index.data() + i * per_example,
                        b.class_weight.data() + i * per_example);
  }
  return b;
}

BatchLoader::BatchLoader(const std::vector<Photo> &photos, int size, int batch, Space space,
                         int64_t seed, int workers, bool class_targets, int shard, int shards, bool hints)
    : photos_(photos), size_(size), batch_(std::max(1, std::min(batch, int(photos.size())))),
      space_(space), seed_(seed), class_targets_(class_targets), hints_(hints) {
  if (shards < 1 || shard < 0 || shard >= shards || batch_ % shards != 0)
    throw std::invalid_argument("BatchLoader: a batch of " + std::to_string(batch_) + " has no part " +
                                std::to_string(shard) + " of " + std::to_string(shards));
  part_ = batch_ / shards;
  first_ = shard * part_;
  for (int i = 0; i < std::max(1, workers); ++i) threads_.emplace_back(&BatchLoader::work, this);
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto &t : threads_) t.join();
}

int BatchLoader::batches_per_epoch() const {
  double total = 0;
  for (const auto &p : photos_) total += p.weight;
  return int(std::lround(total)) / batch_;
}

int BatchLoader::start_epoch(int epoch) {
  std::vector<int> order;
  std::mt19937_64 rng(seed_of(seed_, 0xE70C, uint64_t(epoch)));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (size_t i = 0; i < photos_.size(); ++i) {
    const double w = photos_[i].weight;
    int copies = int(std::floor(w));
    if (w != std::floor(w) && unit(rng) < w - std::floor(w)) ++copies;
    order.insert(order.end(), copies, int(i));
  }
  std::shuffle(order.begin(), order.end(), rng);
  const int batches = int(order.size()) / batch_;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    order_ = std::make_shared<const std::vector<int>>(std::move(order));
    epoch_ = epoch;
    ready_.clear();
    next_build_ = next_take_ = 0;
    total_ = batches;
  }
  cv_.notify_all();
  return batches;
}

bool BatchLoader::next(Batch &out) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (next_take_ >= total_) return false;
  cv_.wait(lock, [&] { return ready_.count(next_take_) > 0; });
  out = std::move(ready_[next_take_]);
  ready_.erase(next_take_);
  ++next_take_;
  cv_.notify_all();
  return true;
}

void BatchLoader::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || (next_build_ < total_ && next_build_ < next_take_ + kAhead); });
    if (stop_) return;
    const int epoch = epoch_, index = next_build_++;
    auto order = order_;
    lock.unlock();
    Batch b = build(*order, epoch, index);
    lock.lock();
    if (epoch == epoch_) ready_[index] = std::move(b);
    cv_.notify_all();
  }
}

Batch BatchLoader::build(const std::vector<int> &order, int epoch, int index) const {
  std::vector<Example> examples;
  for (int j = 0; j < part_; ++j) {
    const int pos = index * batch_ + first_ + j;
    const Photo &p = photos_[order[pos]];
    std::mt19937_64 rng(seed_of(seed_, uint64_t(epoch) + 1, uint64_t(pos)));
    examples.push_back(make_example(random_crop(p.bgr, size_, rng), space_));
    if (hints_) add_hints(examples.back(), random_hint_count(rng), rng);
  }
  return make_batch(examples, class_targets_);
}

}  // namespace colorize::train
