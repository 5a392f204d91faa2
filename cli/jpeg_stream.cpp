// Streaming JPEG colorization with libjpeg(-turbo). See jpeg_stream.h.
#include "jpeg_stream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "colorize/error.h"
#include "colorize/run.h"
#include "jpeg_decoder.h"

namespace colorize::cli {
namespace {

void destroy_compress(jpeg_compress_struct *c) { jpeg_destroy_compress(c); }

bool is_marker(const jpeg_saved_marker_ptr m, const char *id) {
  const size_t n = std::strlen(id) + 1;
  return m->data_length >= n && std::memcmp(m->data, id, n) == 0;
}

/// libjpeg's quality scale read back from a luminance table: the inverse
/// of jpeg_quality_scaling() applied to the JPEG standard's (Annex K) table.
int estimate_quality(const JQUANT_TBL *table) {
  static const unsigned kStandardLuma[DCTSIZE2] = {
      16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,
      14, 13, 16, 24, 40,  57,  69,  56,  14, 17, 22, 29, 51,  87,  80,  62,
      18, 22, 37, 56, 68,  109, 103, 77,  24, 35, 55, 64, 81,  104, 113, 92,
      49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
  if (!table) return 92;
  double sum = 0, standard = 0;
  for (int i = 0; i < DCTSIZE2; ++i) {
    sum += table->quantval[i];
    standard += kStandardLuma[i];
  }
  const double scale = 100.0 * sum / standard;
  const double quality = scale <= 100.0 ? (200.0 - scale) / 2.0 : 5000.0 / scale;
  return std::clamp(int(std::lround(quality)), 1, 100);
}

/// The output compresses like the input: same quantisation tables when it
/// has colour components, else libjpeg's tables at the estimated quality.
void copy_quantisation(const jpeg_decompress_struct &src,
                       jpeg_compress_struct &dst) {
  if (src.num_components != 3) {
    jpeg_set_quality(&dst, estimate_quality(src.quant_tbl_ptrs[0]), TRUE);
    return;
  }
  for (int t = 0; t < NUM_QUANT_TBLS; ++t) {
    if (!src.quant_tbl_ptrs[t]) continue;
    unsigned table[DCTSIZE2];  // natural order in both structs
    for (int i = 0; i < DCTSIZE2; ++i)
      table[i] = src.quant_tbl_ptrs[t]->quantval[i];
    jpeg_add_quant_table(&dst, t, table, 100, FALSE);  // 100 %: as is
  }
  for (int c = 0; c < 3; ++c)
    dst.comp_info[c].quant_tbl_no = src.comp_info[c].quant_tbl_no;
}

class Encoder {
 public:
  Encoder(std::FILE *out, jpeg_decompress_struct &src, int quality,
          const std::string &what)
      : what_(what) {
    cinfo_.err = &err_.pub;
    install(err_, false);
    guarded(err_, what_, [&] { jpeg_create_compress(&cinfo_); });
    handle_.created = true;
    guarded(err_, what_, [&] {
      jpeg_stdio_dest(&cinfo_, out);
      cinfo_.image_width = src.image_width;
      cinfo_.image_height = src.image_height;
      cinfo_.input_components = 3;
      cinfo_.in_color_space = JCS_RGB;
      jpeg_set_defaults(&cinfo_);
      if (quality > 0)
        jpeg_set_quality(&cinfo_, quality, TRUE);
      else
        copy_quantisation(src, cinfo_);
      if (src.num_components == 3) {  // keep the chroma subsampling
        for (int c = 0; c < 3; ++c) {
          cinfo_.comp_info[c].h_samp_factor = src.comp_info[c].h_samp_factor;
          cinfo_.comp_info[c].v_samp_factor = src.comp_info[c].v_samp_factor;
        }
      }
      cinfo_.write_JFIF_header = src.saw_JFIF_marker;
      cinfo_.density_unit = src.density_unit;
      cinfo_.X_density = src.X_density;
      cinfo_.Y_density = src.Y_density;
      jpeg_start_compress(&cinfo_, TRUE);
      // EXIF, ICC, XMP, comments... The JFIF header is written by libjpeg
      // itself, and an Adobe marker would claim a colour transform that
      // this file no longer uses.
      for (jpeg_saved_marker_ptr m = src.marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 && is_marker(m, "JFIF")) continue;
        if (m->marker == JPEG_APP0 + 14 && m->data_length >= 5 &&
            std::memcmp(m->data, "Adobe", 5) == 0)
          continue;
        jpeg_write_marker(&cinfo_, m->marker, m->data, m->data_length);
      }
    });
  }
  Encoder(const Encoder &) = delete;
  Encoder &operator=(const Encoder &) = delete;

  void write(const cv::Mat &rgb) {
    guarded(err_, what_, [&] {
      for (int y = 0; y < rgb.rows; y += 8) {
        JSAMPROW ptrs[8];
        const int n = std::min(8, rgb.rows - y);
        for (int i = 0; i < n; ++i)
          ptrs[i] = const_cast<JSAMPLE *>(rgb.ptr<JSAMPLE>(y + i));
        jpeg_write_scanlines(&cinfo_, ptrs, JDIMENSION(n));
      }
    });
  }
  void finish() {
    guarded(err_, what_, [&] { jpeg_finish_compress(&cinfo_); });
  }

 private:
  std::string what_;
  ErrorManager err_;
  Handle<jpeg_compress_struct, destroy_compress> handle_;
  jpeg_compress_struct &cinfo_ = handle_.info;
};

void refuse_cmyk(const Decoder &dec) {
  if (dec.cmyk())
    throw ImageError("CMYK JPEG files are not supported "
                     "(convert the file to RGB first)");
}

/// A JPEG file as an image source: the reduced read by DCT scaling (only a
/// small copy is ever decoded), the full-resolution rows from a second
/// decoder, started at the first row so that the two never hold a
/// progressive file's coefficients at once, and ended by finish().
class JpegImage final : public ImageSource {
 public:
  JpegImage(const std::string &path, const ReadLimits &limits)
      : path_(path), limits_(limits), reduced_(path, false, limits) {
    refuse_cmyk(reduced_);
  }
  cv::Size size() const override { return reduced_.size(); }
  int type() const override { return reduced_.gray() ? CV_8UC1 : CV_8UC3; }

  cv::Mat read_reduced(const InferReadPlan &plan) override {
    reduced_.choose_scale(plan.work);
    reduced_.start();
    const auto &c = reduced_.cinfo();
    cv::Mat small(int(c.output_height), int(c.output_width), CV_8UC(c.output_components));
    reduced_.read(small);
    reduced_.finish();
    return small;
  }

  cv::Mat read(int y0, int count, cv::Mat &buffer) override {
    Decoder &dec = rows_decoder();
    if (y0 != int(dec.cinfo().output_scanline))
      throw Error("a JPEG file's rows can only be read in order, from the first");
    cv::Mat rows = rows_in(buffer, count);
    dec.read(rows);
    return rows;
  }
  /// Ends the full-resolution decode (after the encoder has taken what it
  /// copies from it: libjpeg frees that at the end).
  void finish() {
    if (rows_) rows_->finish();
  }

  /// The full-resolution decoder (started on first use): its markers and
  /// quality go to the encoder.
  Decoder &rows_decoder() {
    if (!rows_) {
      rows_.emplace(path_, true, limits_);
      refuse_cmyk(*rows_);
      rows_->start();
    }
    return *rows_;
  }
  std::string warning() const { return rows_ ? rows_->warning() : std::string(); }

 private:
  std::string path_;
  ReadLimits limits_;
  Decoder reduced_;
  std::optional<Decoder> rows_;
};

/// The colorized rows, encoded as they come, with the source's markers; the
/// encoder starts at the first row.
class EncoderRows final : public RowSink {
 public:
  EncoderRows(JpegImage &source, std::FILE *out, int quality)
      : source_(source), out_(out), quality_(quality) {}
  void write(int, const cv::Mat &rows) override {
    if (!enc_) enc_.emplace(out_, source_.rows_decoder().cinfo(), quality_, "writing the output");
    enc_->write(rows);
  }
  void finish() {
    if (enc_) enc_->finish();
  }

 private:
  JpegImage &source_;
  std::FILE *out_;
  int quality_;
  std::optional<Encoder> enc_;
};

}  // namespace

JobResult colorize_jpeg(const Model &model, const std::string &in_path,
                        std::FILE *out, const JpegSettings &settings,
                        const Progress &progress) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  report_phase(settings.phase, Phase::Reading);
  JpegImage image(in_path, settings.limits);
  EncoderRows sink(image, out, settings.quality);
  RunOptions options;
  options.infer = settings.infer;
  options.apply = settings.apply;
  options.strips.strip_pixels = settings.strip_pixels;
  options.model_share = 0.0;  // the progress shown is the strips'
  RunTimes times;
  run(model, image, sink, options, progress, &times,
      [&](RunStage stage) { report_phase(settings.phase, phase_of(stage)); });
  report_phase(settings.phase, Phase::Writing);
  image.finish();
  sink.finish();
  JobResult result;
  result.infer = times.reduced_read + times.infer;
  result.apply = std::chrono::duration<double>(Clock::now() - t0).count() - result.infer;
  result.warning = image.warning();
  return result;
}

}  // namespace colorize::cli
