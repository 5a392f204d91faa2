/* plugin-gimp2-apply.c: Colorize (Pix2Pix) for GIMP 2.10: colorizes a
 * layer into a buffer of its own, then writes it into the image as one
 * undo step (gray to RGB, shadow buffer or new layer). The pixels are the
 * business of colorize-host.cpp.
 *
 * This program is free software: you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation, either version 3 of the License, or (at your
 * option) any later version.
 */

#include <string.h>

#include <libgimp/gimp.h>
#include <glib/gi18n-lib.h>

#include "plugin-gimp2.h"
#ifdef COLORIZE_TESTING
#include "plugin-testing.h"
#endif

static gboolean
progress_cb (gdouble fraction, gpointer user_data G_GNUC_UNUSED)
{
  gimp_progress_update (fraction);
  return TRUE;  /* GIMP 2.10 ends the plug-in itself on cancel */
}

/* A transparent RGBA layer above `drawable_id`, same size and offsets, in
 * LCh color mode, inserted into the image. */
static gint32
add_color_layer (gint32 image_id, gint32 drawable_id)
{
  gint   off_x, off_y;
  gint32 layer = gimp_layer_new (image_id, _("Colorized"),
                                 gimp_drawable_width (drawable_id),
                                 gimp_drawable_height (drawable_id),
                                 GIMP_RGBA_IMAGE, 100.0,
                                 GIMP_LAYER_MODE_LCH_COLOR);

  gimp_drawable_offsets (drawable_id, &off_x, &off_y);
  gimp_layer_set_offsets (layer, off_x, off_y);
  gimp_image_insert_layer (image_id, layer,
                           gimp_item_get_parent (drawable_id),
                           gimp_image_get_item_position (image_id,
                                                         drawable_id));
  gimp_drawable_fill (layer, GIMP_FILL_TRANSPARENT);
  return layer;
}

/* Gray to RGB keeping the Y' values (colorize_result_buffer): a color
 * profile is dropped first, or GIMP would convert the values from its TRC. */
static void
convert_gray_to_rgb (gint32 image_id)
{
  GimpColorProfile *profile = gimp_image_get_color_profile (image_id);

  if (profile)
    {
      gimp_image_set_color_profile (image_id, NULL);
      g_object_unref (profile);
    }
  gimp_image_convert_rgb (image_id);
}

/* Puts the colorized `result` (the rectangle `roi` of the layer) into the
 * image as one undo step: a gray image becomes RGB, then the layer's
 * shadow buffer is merged (GIMP applies the selection mask) or a new layer
 * is added. */
static void
write_result (gint32               image_id,
              gint32               drawable_id,
              GeglBuffer          *result,
              const GeglRectangle *roi,
              gint32               output)
{
  GeglBuffer *dst;
  gint32      target = drawable_id;

  gimp_image_undo_group_start (image_id);
  if (gimp_drawable_is_gray (drawable_id))
    convert_gray_to_rgb (image_id);
  if (output == COLORIZE_OUTPUT_NEW_LAYER)
    {
      target = add_color_layer (image_id, drawable_id);
      dst = gimp_drawable_get_buffer (target);
    }
  else
    {
      dst = gimp_drawable_get_shadow_buffer (drawable_id);
    }
  gegl_buffer_copy (result, roi, GEGL_ABYSS_NONE, dst, roi);
  g_object_unref (dst);  /* flushes the written tiles to GIMP */
  if (output != COLORIZE_OUTPUT_NEW_LAYER)
    gimp_drawable_merge_shadow (drawable_id, TRUE);
  gimp_drawable_update (target, roi->x, roi->y, roi->width, roi->height);
  gimp_image_undo_group_end (image_id);
}

void
colorize_hints_params (gint32          drawable_id,
                       gint32          hints_id,
                       ColorizeParams *params)
{
  gint hx, hy, dx, dy;

  params->hints = NULL;
  if (hints_id == -1)
    return;
  gimp_drawable_offsets (hints_id, &hx, &hy);
  gimp_drawable_offsets (drawable_id, &dx, &dy);
  params->hints = gimp_drawable_get_buffer (hints_id);
  params->hints_dx = hx - dx;
  params->hints_dy = hy - dy;
}

gboolean
colorize_apply (gint32                image_id,
                gint32                drawable_id,
                const ColorizeValues *values,
                ColorizeModel        *model,
                GError              **error)
{
  ColorizeParams  params = { values->resolution, values->strength, NULL, 0, 0 };
  GeglRectangle   roi;
  GeglBuffer     *src, *result, *mask = NULL;
  gint            off_x = 0, off_y = 0;
  gboolean        new_layer = values->output == COLORIZE_OUTPUT_NEW_LAYER;
  gboolean        ok;
  gint64          t_start, t_loaded;

  if (! gimp_drawable_mask_intersect (drawable_id, &roi.x, &roi.y,
                                      &roi.width, &roi.height))
    {
      g_clear_pointer (&model, colorize_model_free);
      return TRUE;  /* the selection does not touch this layer */
    }

#ifdef COLORIZE_TESTING
  colorize_testing_reset_peak_rss ();
#endif
  t_start = g_get_monotonic_time ();
  if (! model)
    {
      gimp_progress_init (_("Loading the colorization model"));
      model = colorize_model_load (values->model, values->device, error);
      if (! model)
        return FALSE;
    }
  t_loaded = g_get_monotonic_time ();

  gimp_progress_init_printf (_("Colorizing (%s)"),
                             colorize_model_device_name (model));
  src = gimp_drawable_get_buffer (drawable_id);
  result = colorize_result_buffer (src, &roi,
                                   new_layer ||
                                   gimp_drawable_has_alpha (drawable_id));
  /* a new layer gets the selection as alpha; a shadow buffer is masked
   * by merge_shadow (feathering included) */
  if (new_layer && ! gimp_selection_is_empty (image_id))
    {
      mask = gimp_drawable_get_buffer (gimp_image_get_selection (image_id));
      gimp_drawable_offsets (drawable_id, &off_x, &off_y);
    }

  colorize_hints_params (drawable_id, values->hints, &params);
  ok = colorize_buffer (model, &params, src, &roi, result, mask,
                        off_x, off_y, 0, progress_cb, NULL, error);
  g_clear_object (&params.hints);
  g_object_unref (src);
  if (mask)
    g_object_unref (mask);
  colorize_model_free (model);

  if (ok)
    write_result (image_id, drawable_id, result, &roi, values->output);
  g_object_unref (result);
  gimp_progress_end ();
  g_debug ("model load %.3f s, colorize + merge %.3f s",
           (t_loaded - t_start) / 1e6,
           (g_get_monotonic_time () - t_loaded) / 1e6);
#ifdef COLORIZE_TESTING
  colorize_testing_print_peak_rss ();
#endif
  return ok;
}
