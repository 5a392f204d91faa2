// GEGL buffers in memory for the plug-in host tests: made from and read
// into cv::Mat, released by unique_ptr.
#pragma once

#include <memory>

#include <gegl.h>
#include <opencv2/core.hpp>

namespace colorize::testing {

struct BufferDeleter {
  void operator()(GeglBuffer *b) const { g_object_unref(b); }
};
using Buffer = std::unique_ptr<GeglBuffer, BufferDeleter>;

inline Buffer new_buffer(cv::Size size, const char *format) {
  GeglRectangle rect = {0, 0, size.width, size.height};
  return Buffer(gegl_buffer_new(&rect, babl_format(format)));
}

inline Buffer buffer_from(const cv::Mat &m, const char *format) {
  Buffer b = new_buffer(m.size(), format);
  gegl_buffer_set(b.get(), nullptr, 0, babl_format(format), m.data, m.step);
  return b;
}

inline cv::Mat read_buffer(GeglBuffer *b, const char *format, int type) {
  const GeglRectangle *e = gegl_buffer_get_extent(b);
  cv::Mat m(e->height, e->width, type);
  gegl_buffer_get(b, e, 1.0, babl_format(format), m.data, m.step,
                  GEGL_ABYSS_NONE);
  return m;
}

}  // namespace colorize::testing
