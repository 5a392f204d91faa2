// The two-phase colorization pipeline.
//
//  1. infer(): from a (usually downscaled) copy of the picture, run the model
//     at the working resolution and return a small a,b map.
//  2. apply(): for any horizontal strip of the full-resolution picture,
//     upsample the a,b map for those rows, scale by strength, join with the
//     strip's own L and convert back to the strip's type. Alpha is copied.
//
// No phase needs the full-resolution image in float, so memory stays bounded
// by the strip height for any image size.
#pragma once

#include <functional>

#include <opencv2/core.hpp>

#include "colorize/color.h"
#include "colorize/model.h"

namespace colorize {

/// Short side = resolution, long side at most 4 x resolution, aspect ratio
/// kept otherwise. Always at least 1 x 1. Throws Error unless resolution is
/// in 1..kMaxResolution.
cv::Size working_size(cv::Size image, int resolution);

struct InferOptions {
  /// Working resolution, at most kMaxResolution; 0 = the model's input_size.
  int resolution = 0;
  ChannelOrder order = ChannelOrder::Rgb;
  /// Colour hints for hint models (colorize/hints.h): an RGBA picture the
  /// size of the full image (`full_size`); empty = none. Given to a model
  /// without hint inputs it is an error.
  cv::Mat hints;
  ChannelOrder hint_order = ChannelOrder::Rgb;  ///< colour order of `hints`
};

/// The working resolution of a model pass: `options.resolution`, or the
/// model's input_size when that is 0. Throws Error unless it is in
/// 0..kMaxResolution.
int working_resolution(const ModelInfo &info, const InferOptions &options);

/// How much of a picture of size `full` infer() needs: the working size at
/// working_resolution(), and the one scale (at most 1) at which a source
/// should read the whole picture for it: twice the working size on the axis
/// that needs more (more is read and discarded; less loses detail to the
/// resampling). GEGL's scaled reads use the scale; a JPEG decoder takes the
/// smallest DCT scale that gives at least the working size; an in-memory
/// picture is used as it is (infer() shrinks it).
struct InferReadPlan {
  cv::Size work;       ///< working size (before padding to size_multiple)
  double scale = 1.0;  ///< read scale, in (0, 1]
  cv::Size read;       ///< `full` at `scale`, rounded, at least 1 x 1
};
InferReadPlan plan_infer_read(const ModelInfo &info, cv::Size full,
                              const InferOptions &options);

/// a,b (Lab units) predicted for a whole image, at working resolution.
struct AbMap {
  cv::Mat ab;             ///< CV_32FC2
  cv::Size image_size;    ///< full-resolution size it will be applied to
};

/// Phase 1. `image` is the whole picture at any size (8U/16U/32F, gray,
/// gray+alpha, RGB or RGBA); it is resized to the working size, padded by
/// reflection to the model's size_multiple, run, and the padding cropped.
/// `full_size` is the size of the picture apply() will be given.
AbMap infer(const Model &model, const cv::Mat &image, cv::Size full_size,
            const InferOptions &options = {});

struct ApplyOptions {
  double strength = 1.0;   ///< 0 = gray, 1 = model colours, up to 2
  bool refine = false;     ///< edge-aware refinement of a,b guided by L
  ChannelOrder order = ChannelOrder::Rgb;
};

/// Phase 2. `in` holds rows [y0, y0 + in.rows) of the full image, full width.
/// `out` receives the colorized rows: same depth as `in`, 3 channels
/// (4 when `in` has alpha, copied unchanged). `out` may be `in` when `in`
/// already has 3 or 4 channels. The result for a row does not depend on how
/// the image is cut into strips.
void apply(const AbMap &map, const cv::Mat &in, int y0, cv::Mat &out,
           const ApplyOptions &options = {});

/// Progress callback: fraction done in [0,1]; return false to cancel.
using Progress = std::function<bool(double)>;

/// Both phases on an in-memory image, in strips of `strip_rows` rows.
/// Throws Cancelled if `progress` returns false (the input is untouched).
cv::Mat colorize_image(const Model &model, const cv::Mat &image,
                       const InferOptions &infer_options = {},
                       const ApplyOptions &apply_options = {},
                       const Progress &progress = {}, int strip_rows = 256);

}  // namespace colorize
