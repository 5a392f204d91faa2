// colorize-host.cpp: GEGL buffers <-> colorize core. See colorize-host.h.
//
// Pixels cross GEGL as R'G'B'(A) (or Y'(A)) in the layer's own colour space
// and, for perceptual 8/16-bit layers, at the layer's own integer precision;
// everything else (linear or floating point) is read as float, so precision
// is never lost and babl does the conversions.

#include "colorize-host.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <string>

#include <glib/gi18n-lib.h>
#include <opencv2/core.hpp>

#include "colorize/error.h"
#include "colorize/memory.h"
#include "colorize/model.h"
#include "colorize/model_path.h"
#include "colorize/pipeline.h"
#include "colorize-hints.h"
#include "colorize-strips.h"

namespace {

using colorize_host::PixelFormat;

constexpr int kDefaultStripRows = 256;   // rows per apply() call
constexpr guint64 kMaxTileCache = 256u << 20;  // see colorize_host_setup()

void
set_error (GError **error, ColorizeHostErrorCode code, const char *message)
{
  g_set_error_literal (error, COLORIZE_HOST_ERROR, code, message);
}

// What the model was doing when it failed: loading, or colorizing.
enum class Stage { Load, Pass };

// Runs `body`, turning every exception into a translated GError.
template <typename Body>
gboolean
guarded (GError **error, Stage stage, Body body)
{
  try
    {
      body ();
      return TRUE;
    }
  catch (const colorize::Cancelled &)
    {
      set_error (error, COLORIZE_HOST_ERROR_CANCELLED,
                 _("Colorization was cancelled."));
    }
  catch (const colorize::ModelError &e)
    {
      gchar *msg = stage == Stage::Load
                   ? g_strdup_printf (_("Could not load the model: %s"),
                                      e.what ())
                   : g_strdup_printf (_("The model pass failed: %s"),
                                      e.what ());
      set_error (error, COLORIZE_HOST_ERROR_MODEL, msg);
      g_free (msg);
    }
  catch (const colorize::DeviceError &e)
    {
      gchar *msg = g_strdup_printf (_("The requested device cannot be "
                                      "used: %s"), e.what ());
      set_error (error, COLORIZE_HOST_ERROR_DEVICE, msg);
      g_free (msg);
    }
  catch (const colorize::ImageError &e)
    {
      gchar *msg = g_strdup_printf (_("Cannot colorize this layer: %s"),
                                    e.what ());
      set_error (error, COLORIZE_HOST_ERROR_IMAGE, msg);
      g_free (msg);
    }
  catch (const colorize::OutOfMemory &)
    {
      set_error (error, COLORIZE_HOST_ERROR_FAILED,
                 _("Out of memory while colorizing. Try a smaller working "
                   "resolution or the CPU device."));
    }
  catch (const std::bad_alloc &)
    {
      set_error (error, COLORIZE_HOST_ERROR_FAILED,
                 _("Out of memory while colorizing. Try a smaller working "
                   "resolution or the CPU device."));
    }
  catch (const std::exception &e)
    {
      gchar *msg = g_strdup_printf (_("Colorization failed: %s"), e.what ());
      set_error (error, COLORIZE_HOST_ERROR_FAILED, msg);
      g_free (msg);
    }
  return FALSE;
}

}  // namespace

struct _ColorizeModel
{
  colorize::Model model;
  std::string device_name;
};

extern "C" {

GQuark
colorize_host_error_quark (void)
{
  return g_quark_from_static_string ("colorize-host-error-quark");
}

gint
colorize_max_resolution (void)
{
  return colorize::kMaxResolution;
}

static gchar *beside_model = NULL;   /* dir/models/<name>, if present */
static gchar *searched_model = NULL; /* found in the model search path */

void
colorize_host_setup (void)
{
  colorize::set_cpu_threads (0);
  colorize::use_huge_pages ();
  guint64 cache = 0;
  g_object_get (gegl_config (), "tile-cache-size", &cache, NULL);
  if (cache > kMaxTileCache)
    g_object_set (gegl_config (), "tile-cache-size", kMaxTileCache, NULL);
}

void
colorize_host_preload (void)
{
  colorize::preload_model_runtime ();
}

void
colorize_set_plugin_dir (const gchar *dir)
{
  std::string name = colorize::default_model_name () + colorize::kModelSuffix;
  gchar *path = g_build_filename (dir, "models", name.c_str (), NULL);

  g_clear_pointer (&beside_model, g_free);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    beside_model = path;
  else
    g_free (path);
}

const gchar *
colorize_default_model_path (void)
{
  if (beside_model)
    return beside_model;
  if (! searched_model)
    {
      std::string path;
      try
        {
          path = colorize::find_model (colorize::default_model_name ());
        }
      catch (const colorize::Error &)
        {
          /* not found: name the installed one, which is then missing */
          gchar *file = g_build_filename (
            colorize::installed_model_dir ().c_str (),
            (colorize::default_model_name () + colorize::kModelSuffix).c_str (),
            NULL);
          path = file;
          g_free (file);
        }
      searched_model = g_strdup (path.c_str ());
    }
  return searched_model;
}

ColorizeModel *
colorize_model_load (const gchar    *path,
                     ColorizeDevice  device,
                     GError        **error)
{
  if (! path || ! *path)
    path = colorize_default_model_path ();

  if (! g_file_test (path, G_FILE_TEST_EXISTS))
    {
      gchar *name = g_filename_display_name (path);
      gchar *msg = g_strdup_printf (_("The model file “%s” does not exist."),
                                    name);
      set_error (error, COLORIZE_HOST_ERROR_MODEL, msg);
      g_free (msg);
      g_free (name);
      return NULL;
    }

  ColorizeModel *result = NULL;
  guarded (error, Stage::Load, [&] {
    colorize::LoadOptions options;
    options.device = device == COLORIZE_DEVICE_CPU ? colorize::Device::Cpu
                   : device == COLORIZE_DEVICE_CUDA ? colorize::Device::Cuda
                   : colorize::Device::Auto;
    colorize::Model model = colorize::Model::load (path, options);
    std::string name = model.device_name ();
    result = new _ColorizeModel { std::move (model), std::move (name) };
  });
  return result;
}

gboolean
colorize_check_drawable (gboolean   is_layer,
                         gboolean   is_group,
                         gboolean   is_indexed,
                         GError   **error)
{
  if (is_layer && is_group)
    set_error (error, COLORIZE_HOST_ERROR_IMAGE,
               _("Layer groups cannot be colorized; choose a layer inside "
                 "the group."));
  else if (! is_layer || is_indexed)
    set_error (error, COLORIZE_HOST_ERROR_IMAGE,
               _("Only RGB and grayscale layers can be colorized."));
  else
    return TRUE;
  return FALSE;
}

GeglBuffer *
colorize_result_buffer (GeglBuffer          *src,
                        const GeglRectangle *roi,
                        gboolean             alpha)
{
  const Babl *src_format = gegl_buffer_get_format (src);
  const PixelFormat in_format = colorize_host::source_format (src_format);
  // gray: the layer's Y' values as they are, in R'G'B' without a space of
  // its own (the host converts the image to RGB without a profile)
  const bool gray = babl_get_name (babl_format_get_model (src_format))[0] == 'Y';
  const Babl *rgb = babl_format_with_space (alpha ? "R'G'B'A float"
                                                  : "R'G'B' float",
                                            gray ? NULL : src_format);
  const PixelFormat out_format = colorize_host::target_format (in_format, rgb);

  return gegl_buffer_new (roi, out_format.babl);
}

void
colorize_model_free (ColorizeModel *model)
{
  delete model;
}

const gchar *
colorize_model_device_name (ColorizeModel *model)
{
  return model->device_name.c_str ();
}

gint
colorize_model_input_size (ColorizeModel *model)
{
  return model->model.info ().input_size;
}

static void
model_entry_free (gpointer data)
{
  auto *entry = static_cast<ColorizeModelEntry *> (data);

  g_free (entry->name);
  g_free (entry->path);
  g_free (entry->description);
  g_free (entry);
}

GPtrArray *
colorize_list_models (void)
{
  GPtrArray *result = g_ptr_array_new_with_free_func (model_entry_free);

  try
    {
      for (const colorize::ModelEntry &found : colorize::list_models ())
        {
          if (! found.info)
            continue;
          auto *entry = g_new0 (ColorizeModelEntry, 1);
          entry->name = g_strdup (found.name.c_str ());
          entry->path = g_strdup (found.path.c_str ());
          entry->description = g_strdup (found.info->description.c_str ());
          g_ptr_array_add (result, entry);
        }
    }
  catch (const std::exception &e)
    {
      /* the list is a convenience: the dialog still offers "Other file…" */
      g_warning ("listing the models failed: %s", e.what ());
    }
  return result;
}

gboolean
colorize_buffer (ColorizeModel        *model,
                 const ColorizeParams *params,
                 GeglBuffer           *src,
                 const GeglRectangle  *roi,
                 GeglBuffer           *dst,
                 GeglBuffer           *mask,
                 gint                  mask_dx,
                 gint                  mask_dy,
                 gint                  strip_rows,
                 ColorizeProgressFunc  progress,
                 gpointer              user_data,
                 GError              **error)
{
  if (! colorize_host::hints_fit (params, model->model, error))
    return FALSE;
  return guarded (error, Stage::Pass, [&] {
    const GeglRectangle *extent = gegl_buffer_get_extent (src);
    const PixelFormat in_format =
      colorize_host::source_format (gegl_buffer_get_format (src));
    const PixelFormat out_format =
      colorize_host::target_format (in_format, gegl_buffer_get_format (dst));

    // G_MESSAGES_DEBUG=gimp-colorize-pix2pix prints where the time went
    gint64 t_start = g_get_monotonic_time ();
    colorize::RunOptions options;
    options.infer.resolution = params->resolution;
    options.infer.hints = colorize_host::hint_picture (params, *extent, src);
    options.apply.strength = params->strength;
    colorize_host::StripJob job = {
      src, in_format, dst, out_format, mask, mask_dx, mask_dy, *roi,
      strip_rows > 0 ? strip_rows : kDefaultStripRows };
    colorize::RunTimes times;
    double scale = 1.0;
    colorize_host::run_job (model->model, std::move (options), job,
                            [&] (double fraction) {
                              return ! progress
                                     || progress (fraction, user_data);
                            }, &times, &scale);
    g_debug ("%dx%d: reading at scale %.3f: %.3f s, model pass %.3f s, "
             "strips: read %.3f s, apply %.3f s, write %.3f s, total "
             "%.3f s", roi->width, roi->height, scale, times.reduced_read,
             times.infer, times.strips.read, times.strips.apply,
             times.strips.write, (g_get_monotonic_time () - t_start) / 1e6);
  });
}

gboolean
colorize_preview (ColorizeModel        *model,
                  const ColorizeParams *params,
                  GeglBuffer           *src,
                  gint                  max_size,
                  gint                 *width,
                  gint                 *height,
                  guchar              **before,
                  guchar              **after,
                  GError              **error)
{
  *before = *after = NULL;
  if (model && ! colorize_host::hints_fit (params, model->model, error))
    return FALSE;
  gboolean ok = guarded (error, Stage::Pass, [&] {
    const GeglRectangle *extent = gegl_buffer_get_extent (src);
    double scale = std::min (1.0, (double) max_size /
                             std::max (extent->width, extent->height));
    GeglRectangle rect = {
      (gint) std::floor (extent->x * scale),
      (gint) std::floor (extent->y * scale),
      std::max (1, (gint) std::lround (extent->width * scale)),
      std::max (1, (gint) std::lround (extent->height * scale)) };
    const Babl *format =
      babl_format_with_space ("R'G'B'A u8", gegl_buffer_get_format (src));

    cv::Mat image (rect.height, rect.width, CV_8UC4);
    gegl_buffer_get (src, &rect, scale, format, image.data, image.step,
                     GEGL_ABYSS_CLAMP);
    gsize bytes = (gsize) rect.width * rect.height * 4;
    *before = (guchar *) g_memdup2 (image.data, bytes);
    *width = rect.width;
    *height = rect.height;
    if (! model)
      return;

    // Hints are read at full size (a scaled read would fade small dots)
    // and reduced by the model pass; its a,b then go onto the preview.
    colorize::InferOptions infer_options;
    infer_options.resolution = params->resolution;
    infer_options.hints = colorize_host::hint_picture (params, *extent, src);
    colorize::AbMap map = colorize::infer (
      model->model, image, cv::Size (extent->width, extent->height),
      infer_options);
    map.image_size = image.size ();
    colorize::ApplyOptions apply_options;
    apply_options.strength = params->strength;
    cv::Mat colored;
    colorize::apply (map, image, 0, colored, apply_options);
    CV_Assert (colored.type () == CV_8UC4 && colored.isContinuous ());

    *after = (guchar *) g_memdup2 (colored.data, bytes);
  });
  if (! ok)
    g_clear_pointer (before, g_free);
  return ok;
}

gboolean
colorize_preview_area (ColorizeModel        *model,
                       const ColorizeParams *params,
                       GeglBuffer           *src,
                       const GeglRectangle  *area,
                       guchar              **before,
                       guchar              **after,
                       GError              **error)
{
  const Babl *format =
    babl_format_with_space ("R'G'B'A u8", gegl_buffer_get_format (src));
  gsize bytes = (gsize) area->width * area->height * 4;
  GeglBuffer *dst = colorize_result_buffer (src, area, TRUE);

  *before = *after = NULL;
  if (! colorize_buffer (model, params, src, area, dst, NULL, 0, 0, 0,
                         NULL, NULL, error))
    {
      g_object_unref (dst);
      return FALSE;
    }
  *before = (guchar *) g_malloc (bytes);
  *after = (guchar *) g_malloc (bytes);
  gegl_buffer_get (src, area, 1.0, format, *before, 4 * area->width,
                   GEGL_ABYSS_CLAMP);
  gegl_buffer_get (dst, area, 1.0, format, *after, 4 * area->width,
                   GEGL_ABYSS_CLAMP);
  g_object_unref (dst);
  return TRUE;
}

}  // extern "C"
