// colorize-strips.cpp: see colorize-strips.h.
#include "colorize-strips.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace colorize_host {
namespace {

double
type_max (int depth)
{
  return depth == CV_8U ? 255.0 : depth == CV_16U ? 65535.0 : 1.0;
}

// Makes `out` have `channels` channels (3 or 4): adds an opaque alpha or
// drops it. Returns a new Mat only when it has to.
cv::Mat
match_channels (const cv::Mat &out, int channels)
{
  if (out.channels () == channels)
    return out;
  std::vector<cv::Mat> planes;
  cv::split (out, planes);
  if (channels == 4)
    planes.push_back (cv::Mat (out.size (), out.depth (),
                               cv::Scalar (type_max (out.depth ()))));
  else
    planes.resize (3);
  cv::Mat result;
  cv::merge (planes, result);
  return result;
}

// alpha *= mask, in place, for a 4-channel `out`.
void
multiply_alpha (cv::Mat &out, const cv::Mat &mask)
{
  std::vector<cv::Mat> planes;
  cv::split (out, planes);
  cv::Mat alpha;
  planes[3].convertTo (alpha, CV_32F);
  alpha = alpha.mul (mask);
  alpha.convertTo (planes[3], out.depth ());  // rounds and saturates
  cv::merge (planes, out);
}

// `job.src` as core's image source: the reduced read through GEGL's scale
// argument, the full-width rows of its extent at scale 1.
class GeglImage final : public colorize::ImageSource
{
 public:
  explicit GeglImage (const StripJob &job)
    : job_ (job), extent_ (*gegl_buffer_get_extent (job.src)) {}
  cv::Size size () const override
  { return { extent_.width, extent_.height }; }
  int type () const override
  { return CV_MAKETYPE (job_.in_format.cv_depth, job_.in_format.channels); }
  cv::Mat read_reduced (const colorize::InferReadPlan &plan) override
  {
    scale = plan.scale;
    GeglRectangle rect = { (gint) std::floor (extent_.x * scale),
                           (gint) std::floor (extent_.y * scale),
                           plan.read.width, plan.read.height };
    cv::Mat small (plan.read, type ());
    gegl_buffer_get (job_.src, &rect, scale, job_.in_format.babl, small.data,
                     small.step, GEGL_ABYSS_CLAMP);
    return small;
  }
  cv::Mat read (int y0, int count, cv::Mat &buffer) override
  {
    cv::Mat rows = rows_in (buffer, count);
    GeglRectangle rect = { extent_.x, extent_.y + y0, extent_.width, count };
    gegl_buffer_get (job_.src, &rect, 1.0, job_.in_format.babl, rows.data,
                     rows.step, GEGL_ABYSS_NONE);
    return rows;
  }
  double scale = 1.0;  // of the reduced read

 private:
  const StripJob &job_;
  GeglRectangle extent_;
};

// The roi's columns of the colorized rows, written to `job.dst` (their
// alpha multiplied by the selection mask, if any).
class GeglRoiSink final : public colorize::RowSink
{
 public:
  explicit GeglRoiSink (const StripJob &job)
    : job_ (job), extent_ (*gegl_buffer_get_extent (job.src)) {}
  void write (int y0, const cv::Mat &out) override
  {
    const GeglRectangle &roi = job_.roi;
    const gint y = extent_.y + y0;
    cv::Mat cols = match_channels (out, job_.out_format.channels)
                     (cv::Rect (roi.x - extent_.x, 0, roi.width, out.rows));
    if (job_.mask && job_.out_format.channels == 4)
      {
        cols = cols.clone ();
        cv::Mat mask (out.rows, roi.width, CV_32FC1);
        GeglRectangle mrect = { roi.x + job_.mask_dx, y + job_.mask_dy,
                                roi.width, out.rows };
        gegl_buffer_get (job_.mask, &mrect, 1.0, babl_format ("Y float"),
                         mask.data, mask.step, GEGL_ABYSS_NONE);
        multiply_alpha (cols, mask);
      }
    GeglRectangle wrect = { roi.x, y, roi.width, out.rows };
    gegl_buffer_set (job_.dst, &wrect, 0, job_.out_format.babl, cols.data,
                     cols.step);
  }

 private:
  const StripJob &job_;
  GeglRectangle extent_;
};

}  // namespace

PixelFormat
source_format (const Babl *src)
{
  const char *model = babl_get_name (babl_format_get_model (src));
  const Babl *type = babl_format_get_type (src, 0);
  bool alpha = babl_format_has_alpha (src);
  bool gray = model[0] == 'Y';
  bool perceptual = std::strchr (model, '\'') || std::strchr (model, '~');

  const char *type_name = "float";
  int depth = CV_32F;
  if (perceptual && type == babl_type ("u8"))
    { type_name = "u8"; depth = CV_8U; }
  else if (perceptual && type == babl_type ("u16"))
    { type_name = "u16"; depth = CV_16U; }

  std::string name = std::string (gray ? "Y'" : "R'G'B'") +
                     (alpha ? "A " : " ") + type_name;
  int channels = (gray ? 1 : 3) + (alpha ? 1 : 0);
  return { babl_format_with_space (name.c_str (), src), depth, channels };
}

PixelFormat
target_format (const PixelFormat &src, const Babl *dst)
{
  bool alpha = babl_format_has_alpha (dst);
  const char *type_name = src.cv_depth == CV_8U ? "u8"
                        : src.cv_depth == CV_16U ? "u16" : "float";
  std::string name = std::string ("R'G'B'") + (alpha ? "A " : " ") + type_name;
  return { babl_format_with_space (name.c_str (), dst), src.cv_depth,
           alpha ? 4 : 3 };
}

void
run_job (const colorize::Model &model, colorize::RunOptions options,
         const StripJob &job, const colorize::Progress &progress,
         colorize::RunTimes *times, double *read_scale)
{
  const gint y0 = gegl_buffer_get_extent (job.src)->y;
  GeglImage source (job);
  GeglRoiSink sink (job);
  options.strips.strip_rows = job.strip_rows;
  options.strips.rows = cv::Range (job.roi.y - y0,
                                   job.roi.y - y0 + job.roi.height);
  colorize::run (model, source, sink, std::move (options), progress, times);
  *read_scale = source.scale;
}

}  // namespace colorize_host
