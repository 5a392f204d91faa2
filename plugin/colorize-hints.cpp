// colorize-hints.cpp: the colour hints layer as core's hint picture. See
// colorize-hints.h.

#include "colorize-hints.h"

#include <glib/gi18n-lib.h>

#include "colorize/error.h"

namespace colorize_host {

cv::Mat
read_hints (GeglBuffer *hints, int dx, int dy, const GeglRectangle &extent,
            const Babl *src_format)
{
  if (! babl_format_has_alpha (gegl_buffer_get_format (hints)))
    throw colorize::ImageError (
      _("the colour hints layer has no alpha channel; paint the hints on a "
        "transparent layer"));

  cv::Mat out = cv::Mat::zeros (extent.height, extent.width, CV_8UC4);
  // The hints layer's extent in source coordinates, clipped to the source.
  GeglRectangle over = *gegl_buffer_get_extent (hints);
  over.x += dx;
  over.y += dy;
  GeglRectangle both;
  if (! gegl_rectangle_intersect (&both, &over, &extent))
    return out;
  const GeglRectangle read = { both.x - dx, both.y - dy, both.width,
                               both.height };
  cv::Mat part = out (cv::Rect (both.x - extent.x, both.y - extent.y,
                                both.width, both.height));
  gegl_buffer_get (hints, &read, 1.0,
                   babl_format_with_space ("R'G'B'A u8", src_format),
                   part.data, part.step, GEGL_ABYSS_NONE);
  return out;
}

gboolean
hints_fit (const ColorizeParams *params, const colorize::Model &model,
           GError **error)
{
  if (! params->hints || model.info ().hints)
    return TRUE;
  gchar *msg = g_strdup_printf (_("The model %s takes no colour hints; "
                                  "choose a hint model or no hints layer."),
                                model.path ().c_str ());
  g_set_error_literal (error, COLORIZE_HOST_ERROR, COLORIZE_HOST_ERROR_MODEL,
                       msg);
  g_free (msg);
  return FALSE;
}

cv::Mat
hint_picture (const ColorizeParams *params, const GeglRectangle &extent,
              GeglBuffer *src)
{
  if (! params->hints)
    return cv::Mat ();
  return read_hints (params->hints, params->hints_dx, params->hints_dy,
                     extent, gegl_buffer_get_format (src));
}

}  // namespace colorize_host
