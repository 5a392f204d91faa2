/* plugin-gimp3-apply.c: Colorize (Pix2Pix) for GIMP 3.0: colorizes a
 * layer into a buffer of its own, then writes it into the image as one
 * undo step (gray to RGB, shadow buffer or new layer). The pixels are the
 * business of colorize-host.cpp.
 *
 * This program is free software: you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation, either version 3 of the License, or (at your
 * option) any later version.
 */

#include <libgimp/gimp.h>
#include <glib/gi18n-lib.h>

#include "plugin-gimp3.h"
#ifdef COLORIZE_TESTING
#include "plugin-testing.h"
#endif

/* libgimp 3.0 tells a plug-in nothing of a cancel in the status bar:
 * GIMP answers the call with "Cancelled" and ends the plug-in. The image
 * is then as it was: nothing in it changes before the colours are all
 * computed (see colorize_apply). The test build of the plug-in
 * (COLORIZE_TESTING, never installed) ends itself so (plugin-testing.c). */
static gboolean
progress_cb (gdouble fraction, gpointer user_data G_GNUC_UNUSED)
{
#ifdef COLORIZE_TESTING
  colorize_testing_progress (fraction);
#endif
  gimp_progress_update (fraction);
  return TRUE;
}

/* A transparent RGBA layer the size of `drawable`, in LCh color mode,
 * inserted into the image above `drawable`, at its offsets. */
static GimpLayer *
add_color_layer (GimpImage *image, GimpDrawable *drawable)
{
  gint       off_x, off_y;
  GimpLayer *layer = gimp_layer_new (image, _("Colorized"),
                                     gimp_drawable_get_width (drawable),
                                     gimp_drawable_get_height (drawable),
                                     GIMP_RGBA_IMAGE, 100.0,
                                     GIMP_LAYER_MODE_LCH_COLOR);

  gimp_drawable_fill (GIMP_DRAWABLE (layer), GIMP_FILL_TRANSPARENT);
  gimp_image_insert_layer (image, layer,
                           GIMP_LAYER (gimp_item_get_parent (GIMP_ITEM (drawable))),
                           gimp_image_get_item_position (image,
                                                         GIMP_ITEM (drawable)));
  gimp_drawable_get_offsets (drawable, &off_x, &off_y);
  gimp_layer_set_offsets (layer, off_x, off_y);
  return layer;
}

/* Gray to RGB keeping the Y' values (colorize_result_buffer): a color
 * profile is dropped first, or GIMP would convert the values from its TRC. */
static void
convert_gray_to_rgb (GimpImage *image)
{
  GimpColorProfile *profile = gimp_image_get_color_profile (image);

  if (profile)
    {
      gimp_image_set_color_profile (image, NULL);
      g_object_unref (profile);
    }
  gimp_image_convert_rgb (image);
}

/* Puts the colorized `result` (the rectangle `roi` of the layer) into the
 * image as one undo step: a gray image becomes RGB, then the layer's
 * shadow buffer is merged (GIMP applies the selection mask) or a new layer
 * is added. */
static void
write_result (GimpImage           *image,
              GimpDrawable        *drawable,
              GeglBuffer          *result,
              const GeglRectangle *roi,
              gint                 output)
{
  GeglBuffer   *dst;
  GimpDrawable *target = drawable;

  gimp_image_undo_group_start (image);
  if (gimp_drawable_is_gray (drawable))
    convert_gray_to_rgb (image);
  if (output == COLORIZE_OUTPUT_NEW_LAYER)
    {
      target = GIMP_DRAWABLE (add_color_layer (image, drawable));
      dst = gimp_drawable_get_buffer (target);
    }
  else
    {
      dst = gimp_drawable_get_shadow_buffer (drawable);
    }
  gegl_buffer_copy (result, roi, GEGL_ABYSS_NONE, dst, roi);
  g_object_unref (dst);  /* flushes the written tiles to GIMP */
  if (output != COLORIZE_OUTPUT_NEW_LAYER)
    gimp_drawable_merge_shadow (drawable, TRUE);
  gimp_drawable_update (target, roi->x, roi->y, roi->width, roi->height);
  gimp_image_undo_group_end (image);
}

void
colorize_config_hints (GimpProcedureConfig *config,
                       GimpDrawable        *drawable,
                       ColorizeParams      *params)
{
  GimpLayer *hints = NULL;
  gint       hx, hy, dx, dy;

  params->hints = NULL;
  params->hints_dx = params->hints_dy = 0;
  g_object_get (config, "hints", &hints, NULL);
  if (! hints)
    return;
  gimp_drawable_get_offsets (GIMP_DRAWABLE (hints), &hx, &hy);
  gimp_drawable_get_offsets (drawable, &dx, &dy);
  params->hints = gimp_drawable_get_buffer (GIMP_DRAWABLE (hints));
  params->hints_dx = hx - dx;
  params->hints_dy = hy - dy;
  g_object_unref (hints);
}

gboolean
colorize_apply (GimpImage            *image,
                GimpDrawable         *drawable,
                GimpProcedureConfig  *config,
                ColorizeModel        *model,
                GError              **error)
{
  ColorizeParams  params;
  GeglRectangle   roi;
  GeglBuffer     *src, *result, *mask = NULL;
  gchar          *model_path;
  gint            off_x = 0, off_y = 0;
  gint            device, output;
  gboolean        ok;

  g_object_get (config,
                "resolution", &params.resolution,
                "strength",   &params.strength,
                NULL);
  device = gimp_procedure_config_get_choice_id (config, "device");
  output = gimp_procedure_config_get_choice_id (config, "output");

  if (! gimp_drawable_mask_intersect (drawable, &roi.x, &roi.y,
                                      &roi.width, &roi.height))
    {
      g_clear_pointer (&model, colorize_model_free);
      return TRUE;  /* the selection does not touch this layer */
    }

  if (! model)
    {
      gimp_progress_init (_("Loading the colorization model"));
      model_path = colorize_config_model_path (config);
      model = colorize_model_load (model_path, device, error);
      g_free (model_path);
      if (! model)
        return FALSE;
    }

  gimp_progress_init_printf (_("Colorizing (%s)"),
                             colorize_model_device_name (model));
  src = gimp_drawable_get_buffer (drawable);
  result = colorize_result_buffer (src, &roi,
                                   output == COLORIZE_OUTPUT_NEW_LAYER ||
                                   gimp_drawable_has_alpha (drawable));
  /* a new layer gets the selection as alpha; a shadow buffer is masked
   * by merge_shadow (feathering included) */
  if (output == COLORIZE_OUTPUT_NEW_LAYER && ! gimp_selection_is_empty (image))
    {
      mask = gimp_drawable_get_buffer (GIMP_DRAWABLE (gimp_image_get_selection (image)));
      gimp_drawable_get_offsets (drawable, &off_x, &off_y);
    }

  colorize_config_hints (config, drawable, &params);
  ok = colorize_buffer (model, &params, src, &roi, result, mask,
                        off_x, off_y, 0, progress_cb, NULL, error);
  g_clear_object (&params.hints);
  g_object_unref (src);
  g_clear_object (&mask);
  colorize_model_free (model);

  if (ok)
    write_result (image, drawable, result, &roi, output);
  g_object_unref (result);
  gimp_progress_end ();
  return ok;
}
