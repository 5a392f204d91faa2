// colorize-hints.h: internal to colorize-host.cpp. The colour hints layer
// read into the RGBA picture core takes (colorize/hints.h).
#pragma once

#include <gegl.h>
#include <opencv2/core.hpp>

#include "colorize-host.h"
#include "colorize/model.h"

namespace colorize_host {

// The hints buffer over the source's extent: a CV_8UC4 R'G'B'A picture of
// `extent`'s size, transparent where the hints layer does not reach; pixel
// (x, y) of the hints buffer lies over source pixel (x + dx, y + dy)
// (buffer coordinates). Colours in the colour space of `src_format`.
// Throws colorize::ImageError when the hints layer has no alpha channel.
cv::Mat read_hints (GeglBuffer *hints, int dx, int dy,
                    const GeglRectangle &extent, const Babl *src_format);

// FALSE with a translated COLORIZE_HOST_ERROR_MODEL error when `params`
// has hints but `model` takes none.
gboolean hints_fit (const ColorizeParams *params, const colorize::Model &model,
                    GError **error);

// The hint picture core takes for `params` over `extent` of `src` (empty
// without hints), read by read_hints().
cv::Mat hint_picture (const ColorizeParams *params, const GeglRectangle &extent,
                      GeglBuffer *src);

}  // namespace colorize_host
