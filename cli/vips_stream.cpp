// PNG, TIFF and WebP through libvips: see vips_stream.h.
#include "vips_stream.h"

#include <vips/vips.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "colorize/error.h"
#include "colorize/run.h"
#include "image_job.h"

namespace colorize::cli {
namespace {

struct Unref {
  void operator()(gpointer object) const {
    if (object) g_object_unref(object);
  }
};
using ImagePtr = std::unique_ptr<VipsImage, Unref>;

/// libvips' error text, taken off its buffer, without the final newline.
std::string vips_message() {
  std::string text = vips_error_buffer();
  vips_error_clear();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

[[noreturn]] void fail(const std::string &what) { throw ImageError(what + ": " + vips_message()); }

/// The input read once, top to bottom, without holding it whole.
ImagePtr open_sequential(const std::string &path) {
  VipsImage *image =
      vips_image_new_from_file(path.c_str(), "access", VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR, nullptr);
  if (!image) fail("libvips cannot read it");
  return ImagePtr(image);
}

/// OpenCV depth of a libvips band format this path keeps; -1 otherwise.
int cv_depth(VipsBandFormat format) {
  switch (format) {
    case VIPS_FORMAT_UCHAR:
      return CV_8U;
    case VIPS_FORMAT_USHORT:
      return CV_16U;
    case VIPS_FORMAT_FLOAT:
      return CV_32F;
    default:
      return -1;
  }
}

bool starts_with(const char *s, const char *prefix) { return std::strncmp(s, prefix, std::strlen(prefix)) == 0; }

/// Rows of a sequentially read picture, copied into the engine's buffers
/// (a region's pixels change at its next read), and the whole picture
/// shrunk by libvips from a second sequential read of the file.
class VipsSource final : public ImageSource {
 public:
  explicit VipsSource(const std::string &path)
      : path_(path), image_(open_sequential(path)), region_(vips_region_new(image_.get())) {
    if (!region_) fail("libvips cannot read it");
  }
  VipsImage *image() const { return image_.get(); }
  cv::Size size() const override { return {image_->Xsize, image_->Ysize}; }
  int type() const override { return CV_MAKETYPE(cv_depth(image_->BandFmt), image_->Bands); }
  ChannelOrder order() const override { return ChannelOrder::Rgb; }

  cv::Mat read(int y0, int count, cv::Mat &buffer) override {
    VipsRect rect{0, y0, image_->Xsize, count};
    if (vips_region_prepare(region_.get(), &rect)) fail("damaged or truncated data");
    cv::Mat rows = rows_in(buffer, count);
    const size_t bytes = size_t(image_->Xsize) * VIPS_IMAGE_SIZEOF_PEL(image_.get());
    for (int y = 0; y < count; ++y) std::memcpy(rows.ptr(y), VIPS_REGION_ADDR(region_.get(), 0, y0 + y), bytes);
    return rows;
  }

  cv::Mat read_reduced(const InferReadPlan &plan) override {
    const double factor =
        std::max(1.0, std::min(double(image_->Xsize) / plan.read.width, double(image_->Ysize) / plan.read.height));
    ImagePtr again = open_sequential(path_);
    VipsImage *small = nullptr;
    if (vips_resize(again.get(), &small, 1.0 / factor, "kernel", VIPS_KERNEL_LINEAR, nullptr))
      fail("libvips cannot read it");
    ImagePtr held(small);
    size_t bytes = 0;
    void *pixels = vips_image_write_to_memory(small, &bytes);
    if (!pixels) fail("damaged or truncated data");
    cv::Mat copy = cv::Mat(small->Ysize, small->Xsize, type(), pixels).clone();
    g_free(pixels);
    return copy;
  }

 private:
  std::string path_;
  ImagePtr image_;
  std::unique_ptr<VipsRegion, Unref> region_;
};

/// Rows handed over to a libvips saver running in a thread of its own:
/// libvips asks for the output's pixels (generate()), this sink's write()
/// supplies them, and the two meet in a queue of a few strips. write()
/// waits while the saver is that far behind, so memory stays bounded.
class VipsSink final : public RowSink {
 public:
  VipsSink(VipsImage *input, OutputFile &file, const std::string &ext, int quality)
      : file_(file), out_(vips_image_new()) {
    VipsImage *inputs[] = {input, nullptr};
    // The output takes the input's header and metadata (EXIF, ICC, XMP,
    // resolution), then becomes colour.
    if (vips_image_pipeline_array(out_.get(), VIPS_DEMAND_STYLE_THINSTRIP, inputs)) fail("libvips");
    const bool alpha = input->Bands == 2 || input->Bands == 4;
    out_->Bands = alpha ? 4 : 3;
    out_->Type = input->BandFmt == VIPS_FORMAT_USHORT ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB;
    // A gray picture's ICC profile does not describe colours.
    if (input->Bands < 3) vips_image_remove(out_.get(), VIPS_META_ICC_NAME);
    if (vips_image_generate(out_.get(), nullptr, &VipsSink::generate, nullptr, this, nullptr)) fail("libvips");
    int tile_width = 0, tile_height = 0, lines = 0;
    vips_get_tile_size(out_.get(), &tile_width, &tile_height, &lines);
    backlog_ = 2 * std::max(lines, tile_height) + 64;
    saver_ = std::thread([this, ext, quality] { save(ext, quality); });
  }

  ~VipsSink() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      aborted_ = true;
    }
    changed_.notify_all();
    if (saver_.joinable()) saver_.join();
  }

  void write(int y0, const cv::Mat &rows) override {
    std::unique_lock<std::mutex> lock(mutex_);
    // libvips' workers ask for rows within two of its buffers (`lines`
    // rows each) of one another, and all rows above the first they wait
    // for have been handed over but those of the chunk holding it: so
    // while they all wait, fewer than backlog_ + the largest chunk's rows
    // are queued, and this wait cannot block them.
    largest_ = std::max(largest_, rows.rows);
    changed_.wait(lock, [&] { return saved_ || waiting() < backlog_ + largest_; });
    if (saved_) {
      throw_save_error();
      throw ImageError("libvips stopped writing the file before its end");
    }
    chunks_.push_back({y0, rows.clone(), 0});
    written_ = y0 + rows.rows;
    lock.unlock();
    changed_.notify_all();
  }

  /// Waits for the saver to write the file; throws what it failed with.
  void finish() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return saved_; });
    throw_save_error();
  }

 private:
  struct Chunk {
    int y0;
    cv::Mat rows;
    int64_t used;  ///< pixels handed to libvips so far
  };

  /// Rows queued and not yet handed to libvips.
  int waiting() const { return chunks_.empty() ? 0 : written_ - chunks_.front().y0; }

  void throw_save_error() {
    if (saver_.joinable()) saver_.join();
    file_.check_written();  // a failed write explains it best
    if (!save_error_.empty()) throw ImageError(save_error_);
  }

  static gint64 on_write(VipsTargetCustom *, const void *data, gint64 length, void *self) {
    auto *sink = static_cast<VipsSink *>(self);
    return std::fwrite(data, 1, size_t(length), sink->file_.stream()) == size_t(length) ? length : -1;
  }

  static gint64 on_seek(VipsTargetCustom *, gint64 offset, int whence, void *self) {
    return static_cast<VipsSink *>(self)->file_.seek(offset, whence);
  }

  static gint64 on_read(VipsTargetCustom *, void *data, gint64 length, void *self) {
    return static_cast<VipsSink *>(self)->file_.read(data, length);
  }

  void save(const std::string &ext, int quality) {
    std::unique_ptr<VipsTargetCustom, Unref> target(vips_target_custom_new());
    g_signal_connect(target.get(), "write", G_CALLBACK(&VipsSink::on_write), this);
    g_signal_connect(target.get(), "seek", G_CALLBACK(&VipsSink::on_seek), this);
    g_signal_connect(target.get(), "read", G_CALLBACK(&VipsSink::on_read), this);
    VipsTarget *t = VIPS_TARGET(target.get());
    int status;
    if (ext == "png")
      status = vips_pngsave_target(out_.get(), t, "compression", 1, nullptr);
    else if (ext == "webp")
      status = vips_webpsave_target(out_.get(), t, "Q", quality, nullptr);
    else
      status = vips_tiffsave_target(out_.get(), t, "compression", VIPS_FOREIGN_TIFF_COMPRESSION_LZW, nullptr);
    std::lock_guard<std::mutex> lock(mutex_);
    if (status != 0) save_error_ = "libvips cannot write the ." + ext + " file: " + vips_message();
    saved_ = true;
    changed_.notify_all();
  }

  /// libvips asks for the output pixels of `out->valid`.
  static int generate(VipsRegion *out, void *, void *self, void *, gboolean *) {
    return static_cast<VipsSink *>(self)->fill(out);
  }

  int fill(VipsRegion *out) {
    const VipsRect &r = out->valid;
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return aborted_ || written_ >= r.top + r.height; });
    if (aborted_) {
      vips_error("colorize", "stopped");
      return -1;
    }
    const size_t pixel = VIPS_IMAGE_SIZEOF_PEL(out_.get());
    int copied = 0;
    for (Chunk &c : chunks_) {
      const int from = std::max(r.top, c.y0), to = std::min(r.top + r.height, c.y0 + c.rows.rows);
      for (int y = from; y < to; ++y)
        std::memcpy(VIPS_REGION_ADDR(out, r.left, y), c.rows.ptr(y - c.y0) + r.left * pixel, r.width * pixel);
      if (to > from) c.used += int64_t(to - from) * r.width, copied += to - from;
    }
    if (copied != r.height) {  // rows asked for twice: they are gone
      vips_error("colorize", "rows %d-%d were asked for again", r.top, r.top + r.height - 1);
      return -1;
    }
    while (!chunks_.empty() && chunks_.front().used >= int64_t(chunks_.front().rows.total())) chunks_.pop_front();
    lock.unlock();
    changed_.notify_all();
    return 0;
  }

  OutputFile &file_;
  ImagePtr out_;
  int backlog_ = 0;
  int largest_ = 0;  ///< rows of the largest chunk so far
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Chunk> chunks_;
  int written_ = 0;  ///< rows [0, written_) have been queued
  bool aborted_ = false;
  bool saved_ = false;
  std::string save_error_;
  std::thread saver_;
};

}  // namespace

void start_vips(const char *argv0) {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [&] {
    ok = VIPS_INIT(argv0) == 0;
    // No operation cache: each file is read once.
    if (ok) vips_cache_set_max(0);
  });
  if (!ok) throw ImageError("libvips cannot start: " + vips_message());
}

bool vips_takes(const std::string &input, const std::string &ext) {
  if (ext != "png" && ext != "tif" && ext != "tiff" && ext != "webp") return false;
  try {
    start_vips("colorize");
  } catch (const ImageError &) {
    return false;
  }
  const char *loader = vips_foreign_find_load(input.c_str());
  if (!loader) {
    vips_error_clear();
    return false;
  }
  if (!starts_with(loader, "VipsForeignLoadPng") && !starts_with(loader, "VipsForeignLoadTiff") &&
      !starts_with(loader, "VipsForeignLoadWebp"))
    return false;
  ImagePtr header(vips_image_new_from_file(input.c_str(), nullptr));  // the header only
  if (!header) {
    vips_error_clear();
    return false;
  }
  const VipsInterpretation kind = vips_image_get_interpretation(header.get());
  const bool plain = kind == VIPS_INTERPRETATION_B_W || kind == VIPS_INTERPRETATION_GREY16 ||
                     kind == VIPS_INTERPRETATION_sRGB || kind == VIPS_INTERPRETATION_RGB16;
  const int depth = cv_depth(header->BandFmt);
  if (!plain || depth < 0 || header->Bands < 1 || header->Bands > 4 || header->Coding != VIPS_CODING_NONE) return false;
  if (ext == "webp") return depth == CV_8U;
  if (ext == "png") return depth != CV_32F;
  return ext == "tif" || ext == "tiff";
}

JobResult colorize_vips(const Model &model, const std::string &input, OutputFile &out, const std::string &ext,
                        const JobSettings &settings, const Progress &progress) {
  using Clock = std::chrono::steady_clock;
  JobResult times;
  auto t0 = Clock::now();
  report_phase(settings.phase, Phase::Reading);
  times.warning = check_before_decoding(input, settings.limits);
  VipsSource source(input);
  check_size(source.size(), settings.limits);
  VipsSink sink(source.image(), out, ext, settings.quality > 0 ? settings.quality : 92);
  const Clock::time_point applying = run_job(model, source, sink, settings, progress, false);
  times.infer = std::chrono::duration<double>(applying - t0).count();
  report_phase(settings.phase, Phase::Writing);
  sink.finish();
  times.apply = std::chrono::duration<double>(Clock::now() - applying).count();
  return times;
}

}  // namespace colorize::cli
