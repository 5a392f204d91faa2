// colorize-strips.cpp: see colorize-strips.h.
#include "colorize-strips.h"

#include <algorithm>
#include <cstring>
#include <future>
#include <string>
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

struct Strip
{
  gint y = 0, rows = 0;   // buffer rows [y, y + rows)
  cv::Mat in, out;
};

class Timer
{
 public:
  explicit Timer (gint64 *total) : total_ (total),
                                   start_ (g_get_monotonic_time ()) {}
  ~Timer () { *total_ += g_get_monotonic_time () - start_; }

 private:
  gint64 *total_;
  gint64 start_;
};

void
read_strip (const StripJob &job, gint y, Strip &strip)
{
  const GeglRectangle *extent = gegl_buffer_get_extent (job.src);
  strip.y = y;
  strip.rows = std::min (job.strip_rows, job.roi.y + job.roi.height - y);
  strip.in.create (strip.rows, extent->width,
                   CV_MAKETYPE (job.in_format.cv_depth,
                                job.in_format.channels));
  GeglRectangle rect = { extent->x, y, extent->width, strip.rows };
  gegl_buffer_get (job.src, &rect, 1.0, job.in_format.babl, strip.in.data,
                   strip.in.step, GEGL_ABYSS_NONE);
}

void
write_strip (const StripJob &job, const Strip &strip)
{
  const GeglRectangle *extent = gegl_buffer_get_extent (job.src);
  const GeglRectangle &roi = job.roi;
  cv::Mat cols = match_channels (strip.out, job.out_format.channels)
                   (cv::Rect (roi.x - extent->x, 0, roi.width, strip.rows));
  if (job.mask && job.out_format.channels == 4)
    {
      cols = cols.clone ();
      cv::Mat mask (strip.rows, roi.width, CV_32FC1);
      GeglRectangle mrect = { roi.x + job.mask_dx, strip.y + job.mask_dy,
                              roi.width, strip.rows };
      gegl_buffer_get (job.mask, &mrect, 1.0, babl_format ("Y float"),
                       mask.data, mask.step, GEGL_ABYSS_NONE);
      multiply_alpha (cols, mask);
    }
  GeglRectangle wrect = { roi.x, strip.y, roi.width, strip.rows };
  gegl_buffer_set (job.dst, &wrect, 0, job.out_format.babl, cols.data,
                   cols.step);
}

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
apply_strips (const colorize::AbMap &map,
              const colorize::ApplyOptions &options,
              const StripJob &job,
              const std::function<void (double)> &report,
              StripTimes *times)
{
  const GeglRectangle &roi = job.roi;
  const gint y_end = roi.y + roi.height;
  const gint y0 = gegl_buffer_get_extent (job.src)->y;
  if (roi.height <= 0)
    return;

  // Three strips in flight: `next` is read and `done` written here while
  // the worker applies `current`.
  Strip current, next, done;
  {
    Timer t (&times->read);
    read_strip (job, roi.y, current);
  }
  while (current.rows > 0)
    {
      std::future<void> applying = std::async (std::launch::async, [&] {
        Timer t (&times->apply);  // read by us only after get()
        colorize::apply (map, current.in, current.y - y0, current.out,
                         options);
      });
      next.rows = 0;
      {
        Timer t (&times->read);
        if (current.y + current.rows < y_end)
          read_strip (job, current.y + current.rows, next);
      }
      if (done.rows > 0)
        {
          Timer t (&times->write);
          write_strip (job, done);
        }
      applying.get ();  // rethrows the worker's exception

      report ((double) (current.y + current.rows - roi.y) / roi.height);
      std::swap (done, current);
      std::swap (current, next);
    }
  Timer t (&times->write);
  write_strip (job, done);
}

}  // namespace colorize_host
