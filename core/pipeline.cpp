// The two-phase pipeline: infer() a small a,b map from the picture's L at
// working resolution, then apply() it to full-resolution strips.
//
// apply() works on chunks of a few rows (in parallel, per-thread buffers),
// so its temporaries stay in cache whatever the strip height. Every row's
// result depends only on its absolute row number: the a,b upsampling is
// separable bicubic at positions computed from absolute coordinates
// (AbUpsampler), so any cut into strips or chunks gives bit-identical output.
//
// 8-bit images work in OpenCV's 8-bit Lab: L computed alone by tables
// (lightness.cpp), back to RGB by OpenCV's table-driven conversion (fast);
// 16-bit and float images (and 8-bit with `refine`) the float ones, with L
// taken from CIE Luv (see luminance()). Colours are kept inside the sRGB
// gamut (gamut.cpp: chroma limit table, then a bisection repair), because
// clipping in RGB would change L.
//
// Known limit: `refine` (guided filter) only sees the rows of the strip it
// is given, so with it on, rows near strip boundaries depend slightly on
// where the strips are cut. It is off by default.
#include "colorize/pipeline.h"
#include "colorize/run.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>
#include <opencv2/ximgproc/edge_filter.hpp>

#include "color_internal.h"
#include "colorize/error.h"
#include "colorize/hints.h"

namespace colorize {

namespace {

constexpr int kChunkRows = 8;        // rows per parallel work item

std::string size_text(cv::Size s) {
  return std::to_string(s.width) + "x" + std::to_string(s.height);
}

/// Resizes one axis at a time: INTER_AREA where it shrinks, INTER_CUBIC
/// where it grows (a 3x7000 strip grows across and shrinks along).
cv::Mat resize_axes(const cv::Mat &src, cv::Size dsize) {
  cv::Mat m = src;
  if (dsize.width != m.cols) {
    cv::Mat t;
    cv::resize(m, t, cv::Size(dsize.width, m.rows), 0, 0,
               dsize.width < m.cols ? cv::INTER_AREA : cv::INTER_CUBIC);
    m = t;
  }
  if (dsize.height != m.rows) {
    cv::Mat t;
    cv::resize(m, t, cv::Size(m.cols, dsize.height), 0, 0,
               dsize.height < m.rows ? cv::INTER_AREA : cv::INTER_CUBIC);
    m = t;
  }
  return m;
}

struct Conversion {
  ChannelOrder order;
  int to_lab, to_luv, from_lab;
  explicit Conversion(ChannelOrder order)
      : order(order),
        to_lab(order == ChannelOrder::Bgr ? cv::COLOR_BGR2Lab
                                          : cv::COLOR_RGB2Lab),
        to_luv(detail::to_luv_code(order)),
        from_lab(order == ChannelOrder::Bgr ? cv::COLOR_Lab2BGR
                                            : cv::COLOR_Lab2RGB) {}
};

/// OpenCV's cubic convolution weights (A = -0.75, as in cv::resize and
/// cv::remap) for a sample at fraction t in [0,1) past the second tap.
void cubic_weights(double t, float w[4]) {
  constexpr double A = -0.75;
  const double w0 = ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A;
  const double w1 = ((A + 2) * t - (A + 3)) * t * t + 1;
  const double w2 = ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1;
  w[0] = float(w0);
  w[1] = float(w1);
  w[2] = float(w2);
  w[3] = float(1.0 - w0 - w1 - w2);
}

/// Bicubic upsampling of the a,b map for rows [y0, y0 + rows) of the full
/// image, separably: cv::resize brings the few map rows the strip touches to
/// full width (its column positions, (x + 0.5) * w_ab / W - 0.5, depend only
/// on x; the vertical factor is 1, whose cubic weights are exactly
/// (0, 1, 0, 0)); then every output row is a 4-tap cubic blend of those
/// rows at (y + 0.5) * h_ab / H - 0.5, borders replicated. Each output row
/// depends only on its absolute row number, never on the strip.
class AbUpsampler {
 public:
  AbUpsampler(const AbMap &map, int y0, int rows, double strength)
      : width_(map.image_size.width), taps_(rows) {
    const int h_ab = map.ab.rows;
    const double scale = double(h_ab) / map.image_size.height;
    int lo = h_ab, hi = -1;
    for (int r = 0; r < rows; ++r) {
      const double ys = (y0 + r + 0.5) * scale - 0.5;
      const double f = std::floor(ys);
      cubic_weights(ys - f, taps_[r].w);
      for (int k = 0; k < 4; ++k) {
        const int i = std::clamp(int(f) - 1 + k, 0, h_ab - 1);
        taps_[r].row[k] = i;
        taps_[r].w[k] *= float(strength);
        lo = std::min(lo, i);
        hi = std::max(hi, i);
      }
    }
    for (Taps &t : taps_) {
      for (int &i : t.row) i -= lo;
    }
    cv::resize(map.ab.rowRange(lo, hi + 1), wide_,
               cv::Size(width_, hi + 1 - lo), 0, 0, cv::INTER_CUBIC);
  }

  /// a,b * strength of strip row r into d[0 .. 2 * width).
  void row(int r, float *d) const {
    const Taps &t = taps_[r];
    const float *p0 = wide_.ptr<float>(t.row[0]);
    const float *p1 = wide_.ptr<float>(t.row[1]);
    const float *p2 = wide_.ptr<float>(t.row[2]);
    const float *p3 = wide_.ptr<float>(t.row[3]);
    const float w0 = t.w[0], w1 = t.w[1], w2 = t.w[2], w3 = t.w[3];
    for (int i = 0; i < 2 * width_; ++i) {
      d[i] = w0 * p0[i] + w1 * p1[i] + w2 * p2[i] + w3 * p3[i];
    }
  }

  /// Strip rows [r0, r0 + ab.rows) into `ab` (CV_32FC2, full width).
  void rows(int r0, cv::Mat &ab) const {
    for (int r = 0; r < ab.rows; ++r) row(r0 + r, ab.ptr<float>(r));
  }

 private:
  struct Taps {
    int row[4];
    float w[4];
  };
  int width_;
  std::vector<Taps> taps_;
  cv::Mat wide_;  // the map rows the strip needs, at full width
};

/// What every chunk of one apply() call shares.
struct Job {
  const AbUpsampler &ab;
  Conversion conv;
  int alpha_channel;  // in the input; -1 = none
  double upscale;     // full width / map width
};

/// Copies the colour result `rgb` (3 channels) and, when the input has one,
/// its alpha into `dst`. `dst` may share memory with `src`.
void write_out(const cv::Mat &rgb, const cv::Mat &src, int alpha_channel,
               cv::Mat &dst) {
  if (alpha_channel < 0) {
    if (rgb.data != dst.data) rgb.copyTo(dst);
    return;
  }
  const cv::Mat srcs[] = {rgb, src};
  const int from_to[] = {0, 0, 1, 1, 2, 2, 3 + alpha_channel, 3};
  cv::mixChannels(srcs, 2, &dst, 1, from_to, 4);
}

// ---------------------------------------------------------------- 8-bit path

void apply_chunk_8u(const Job &job, const cv::Mat &src, int r0, cv::Mat &dst) {
  // Per-thread buffers: every chunk of a picture has the same size, so
  // after the first chunk nothing is allocated.
  thread_local cv::Mat lab8, rgb8;
  thread_local std::vector<float> ab;
  lab8.create(src.size(), CV_8UC3);
  ab.resize(2 * size_t(src.cols));
  for (int r = 0; r < src.rows; ++r) {
    uchar *q = lab8.ptr<uchar>(r);
    detail::lightness_8u(src.ptr<uchar>(r), src.channels(), job.conv.order, q, src.cols);
    job.ab.row(r0 + r, ab.data());
    detail::pack_ab_8u(ab.data(), q, src.cols);
  }

  // The input has been read in full: now `dst` may be written even if it
  // is `src`. Without alpha, convert straight into it.
  if (job.alpha_channel >= 0) rgb8.create(src.size(), CV_8UC3);
  cv::Mat rgb = job.alpha_channel < 0 ? dst : rgb8;
  cv::cvtColor(lab8, rgb, job.conv.from_lab);
  detail::repair_gamut_8u(lab8, rgb, job.conv.to_lab, job.conv.from_lab);
  write_out(rgb, src, job.alpha_channel, dst);
}

// ---------------------------------------------------------------- float path

/// Edge-aware refinement: guided filter of a,b with L as the guide. It only
/// sees the rows of the block it is given (borders reflect), so with refine
/// on, rows next to a strip boundary depend a little on where strips are cut.
void refine_ab(const cv::Mat &L, cv::Mat &ab, double upscale) {
  const int radius = std::max(2, int(std::lround(upscale)));
  cv::Mat guide;
  L.convertTo(guide, CV_32F, 1.0 / 100.0);
  cv::Mat refined;
  cv::ximgproc::guidedFilter(guide, ab, refined, radius, 1e-3);
  ab = refined;
}

void apply_block_float(const Job &job, const cv::Mat &src, int r0, cv::Mat &dst,
                       bool refine) {
  const double unit = detail::unit_scale(src.depth());
  // L from CIE Luv (accurate; see luminance()); a,b replace u,v below.
  cv::Mat lab;
  cv::cvtColor(detail::to_float_rgb(src), lab, job.conv.to_luv);

  cv::Mat ab(src.size(), CV_32FC2);
  job.ab.rows(r0, ab);
  if (refine) {
    cv::Mat L;
    cv::extractChannel(lab, L, 0);
    refine_ab(L, ab, job.upscale);
  }
  const int from_to[] = {0, 1, 1, 2};
  cv::mixChannels(&ab, 1, &lab, 1, from_to, 2);
  detail::limit_chroma(lab);

  cv::Mat rgb;
  cv::cvtColor(lab, rgb, job.conv.from_lab);
  detail::repair_gamut_float(lab, rgb, job.conv.from_lab);
  if (src.depth() != CV_32F) rgb.convertTo(rgb, src.depth(), 1.0 / unit);
  write_out(rgb, src, job.alpha_channel, dst);
}

/// A whole picture is read for infer() at up to this many times the working
/// size per axis, then resampled to the working size.
constexpr int kReadOversample = 2;

/// A working resolution asked for: 0 (the model's own) to kMaxResolution.
void check_resolution(int resolution) {
  if (resolution < 0) {
    throw Error("working resolution must be positive, got " +
                std::to_string(resolution));
  }
  if (resolution > kMaxResolution) {
    throw Error("working resolution " + std::to_string(resolution) +
                " is more than the limit of " + std::to_string(kMaxResolution));
  }
}

}  // namespace

cv::Size working_size(cv::Size image, int resolution) {
  if (image.width <= 0 || image.height <= 0) {
    throw ImageError("image size " + size_text(image) + " is empty");
  }
  check_resolution(resolution);
  if (resolution == 0) {
    throw Error("working resolution must be positive, got 0");
  }
  const double short_side = std::min(image.width, image.height);
  const double long_side = std::max(image.width, image.height);
  const double scaled = std::round(long_side * resolution / short_side);
  const int long_out = int(std::clamp(scaled, 1.0, 4.0 * resolution));
  return image.width >= image.height ? cv::Size(long_out, resolution)
                                     : cv::Size(resolution, long_out);
}

int working_resolution(const ModelInfo &info, const InferOptions &options) {
  check_resolution(options.resolution);
  return options.resolution > 0 ? options.resolution : info.input_size;
}

InferReadPlan plan_infer_read(const ModelInfo &info, cv::Size full,
                              const InferOptions &options) {
  InferReadPlan plan;
  plan.work = working_size(full, working_resolution(info, options));
  plan.scale = std::min(
      1.0, kReadOversample * std::max(double(plan.work.width) / full.width,
                                      double(plan.work.height) / full.height));
  plan.read = cv::Size(std::max(1, int(std::lround(full.width * plan.scale))),
                       std::max(1, int(std::lround(full.height * plan.scale))));
  return plan;
}

AbMap infer(const Model &model, const cv::Mat &image, cv::Size full_size,
            const InferOptions &options) {
  detail::check_image(image);
  if (full_size.width <= 0 || full_size.height <= 0) {
    throw ImageError("full image size " + size_text(full_size) + " is empty");
  }
  const ModelInfo &info = model.info();
  const int resolution = working_resolution(info, options);
  if (!options.hints.empty()) {
    if (!info.hints)
      throw Error(model.path() + ": this model takes no colour hints (it reads L only)");
    if (options.hints.size() != full_size)
      throw ImageError("colour hints are " + size_text(options.hints.size()) + " but the image is " +
                       size_text(full_size) + "; they must be the same size");
  }
  const cv::Size ws = working_size(image.size(), resolution);

  // Shrink big pictures on their raw pixels first (box filter), so that the
  // float L image is at most kReadOversample x the working size per axis.
  const cv::Size pre(std::min(image.cols, kReadOversample * ws.width),
                     std::min(image.rows, kReadOversample * ws.height));
  const cv::Mat small = pre == image.size() ? image : resize_axes(image, pre);
  cv::Mat L = resize_axes(luminance(small, options.order), ws);
  cv::min(cv::max(L, 0.0), 100.0, L);  // cubic growth may overshoot

  const cv::Mat x = normalize_l(L, info.normalization);
  const int m = std::max(1, info.size_multiple);
  const int pad_h = (ws.height + m - 1) / m * m - ws.height;
  const int pad_w = (ws.width + m - 1) / m * m - ws.width;
  const int top = pad_h / 2, left = pad_w / 2;
  cv::Mat padded;
  // copyMakeBorder keeps reflecting when the padding exceeds the image.
  cv::copyMakeBorder(x, padded, top, pad_h - top, left, pad_w - left,
                     cv::BORDER_REFLECT_101);
  if (info.hints) {
    // No hint in the padding: mirrored dots would be hints the user did not give.
    const cv::Mat hints = options.hints.empty()
                              ? cv::Mat::zeros(ws, CV_32FC3)
                              : hint_channels(options.hints, ws, info.normalization, options.hint_order);
    cv::Mat hints_padded;
    cv::copyMakeBorder(hints, hints_padded, top, pad_h - top, left, pad_w - left, cv::BORDER_CONSTANT,
                       cv::Scalar::all(0));
    cv::Mat planes[] = {padded, hints_padded};
    cv::merge(planes, 2, padded);
  }

  const cv::Mat y = model.forward(padded);
  const int channels = info.output_channels();
  if (y.rows != padded.rows || y.cols != padded.cols ||
      y.type() != CV_32FC(channels)) {
    throw ModelError(model.path() + ": forward() returned " +
                     cv::typeToString(y.type()) + " " +
                     size_text(y.size()) + ", expected " +
                     cv::typeToString(CV_32FC(channels)) + " " +
                     size_text(padded.size()));
  }
  const cv::Mat out = y(cv::Rect(left, top, ws.width, ws.height));

  AbMap map;
  map.image_size = full_size;
  if (info.color_space == ColorSpace::Lab) {
    map.ab = denormalize_ab(out.clone(), info.normalization);
  } else {
    const cv::Mat lab = rgb_to_lab(rgb_from_network(out.clone()));
    map.ab.create(lab.size(), CV_32FC2);
    const int from_to[] = {1, 0, 2, 1};
    cv::mixChannels(&lab, 1, &map.ab, 1, from_to, 2);
  }
  return map;
}

void apply(const AbMap &map, const cv::Mat &in, int y0, cv::Mat &out,
           const ApplyOptions &options) {
  const cv::Mat src = in;  // keeps the input alive if `out` is `in`
  detail::check_image(src);
  if (map.ab.empty() || map.ab.type() != CV_32FC2) {
    throw ImageError("a,b map must be a non-empty CV_32FC2 matrix, got " +
                     cv::typeToString(map.ab.type()));
  }
  if (src.cols != map.image_size.width || y0 < 0 ||
      y0 + src.rows > map.image_size.height) {
    throw ImageError("strip of " + size_text(src.size()) + " at row " +
                     std::to_string(y0) + " does not fit the image size " +
                     size_text(map.image_size) + " of the a,b map");
  }
  if (!(options.strength >= 0.0 && options.strength <= 2.0)) {
    throw Error("strength must be between 0 and 2, got " +
                std::to_string(options.strength));
  }
  const int cn = src.channels();
  const bool has_alpha = cn == 2 || cn == 4;
  out.create(src.size(), CV_MAKETYPE(src.depth(), has_alpha ? 4 : 3));
  if (out.data == src.data && out.type() != src.type()) {
    throw ImageError("apply(): output may only alias a 3- or 4-channel input");
  }

  // OpenCV sets up its Lab tables on first use without a lock: do it here,
  // on one thread, before the chunks convert in parallel.
  prepare_color_tables();
  const AbUpsampler upsampler(map, y0, src.rows, options.strength);
  const Job job{upsampler, Conversion(options.order), has_alpha ? cn - 1 : -1,
                double(src.cols) / map.ab.cols};
  const bool fast = src.depth() == CV_8U && !options.refine;
  if (options.refine) {
    // One block: the guided filter needs neighbouring rows.
    apply_block_float(job, src, 0, out, true);
    return;
  }
  const int chunks = (src.rows + kChunkRows - 1) / kChunkRows;
  cv::parallel_for_(cv::Range(0, chunks), [&](const cv::Range &range) {
    for (int c = range.start; c < range.end; ++c) {
      const int r0 = c * kChunkRows;
      const int r1 = std::min(src.rows, r0 + kChunkRows);
      const cv::Mat s = src.rowRange(r0, r1);
      cv::Mat d = out.rowRange(r0, r1);
      if (fast) apply_chunk_8u(job, s, r0, d);
      else apply_block_float(job, s, r0, d, false);
    }
  });
}

cv::Mat colorize_image(const Model &model, const cv::Mat &image,
                       const InferOptions &infer_options,
                       const ApplyOptions &apply_options,
                       const Progress &progress, int strip_rows) {
  detail::check_image(image);
  if (strip_rows <= 0) {
    throw Error("strip height must be positive, got " +
                std::to_string(strip_rows));
  }
  if (infer_options.order != apply_options.order)
    throw Error("colorize_image: the picture has one channel order; infer and apply options name two");
  const bool has_alpha = image.channels() == 2 || image.channels() == 4;
  cv::Mat out(image.size(), CV_MAKETYPE(image.depth(), has_alpha ? 4 : 3));
  MatImageSource source(image, infer_options.order);
  MatRowSink sink(out);
  RunOptions options;
  options.infer = infer_options;
  options.apply = apply_options;
  options.strips.strip_rows = strip_rows;
  options.model_share = 0.0;
  run(model, source, sink, options, progress);
  return out;
}

}  // namespace colorize
