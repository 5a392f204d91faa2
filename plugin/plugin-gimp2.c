/* plugin-gimp2.c: Colorize (Pix2Pix) for GIMP 2.10: registration,
 * arguments, undo, shadow buffer. The pixels are the business of
 * colorize-host.cpp, the dialog of plugin-gimp2-dialog.c.
 *
 * This program is free software: you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation, either version 3 of the License, or (at your
 * option) any later version.
 */

#include <stdio.h>
#include <string.h>

#include <libgimp/gimp.h>
#include <glib/gi18n-lib.h>

#include "plugin-gimp2.h"

static void     query         (void);
static void     run           (const gchar      *name,
                               gint              nparams,
                               const GimpParam  *param,
                               gint             *nreturn_vals,
                               GimpParam       **return_vals);
static void     reset_peak_rss (void);
static const gchar *peak_rss   (void);
static gboolean colorize_run  (gint32            image_id,
                               gint32            drawable_id,
                               const ColorizeValues *values,
                               GError          **error);

const GimpPlugInInfo PLUG_IN_INFO =
{
  NULL,  /* init_proc  */
  NULL,  /* quit_proc  */
  query, /* query_proc */
  run,   /* run_proc   */
};

static const ColorizeValues default_values =
{
  "",                       /* model: the installed default */
  COLORIZE_DEVICE_AUTO,
  0,                        /* resolution: the model's      */
  1.0,                      /* strength                     */
  COLORIZE_OUTPUT_REPLACE,
};

/* Where our .mo files are: a "locale" folder beside the binary (per-user
 * or test installs) wins over the compiled-in system folder; the same for
 * the default model (models/ beside the binary). */
static gchar *plug_in_locale_dir = NULL;

static void
init_plug_in_dir (const gchar *argv0)
{
  gchar *dir = g_path_get_dirname (argv0);
  gchar *beside = g_build_filename (dir, "locale", NULL);

  colorize_set_plugin_dir (dir);

  if (g_file_test (beside, G_FILE_TEST_IS_DIR))
    plug_in_locale_dir = beside;
  else
    {
      plug_in_locale_dir = g_strdup (LOCALEDIR);
      g_free (beside);
    }
  g_free (dir);

  bindtextdomain (GETTEXT_PACKAGE, plug_in_locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
}

int
main (int argc, char *argv[])
{
  init_plug_in_dir (argv[0]);
  return gimp_main (&PLUG_IN_INFO, argc, argv);
}

static void
query (void)
{
  static const GimpParamDef args[] =
  {
    { GIMP_PDB_INT32,    "run-mode",   "The run mode { RUN-INTERACTIVE (0), "
                                       "RUN-NONINTERACTIVE (1) }" },
    { GIMP_PDB_IMAGE,    "image",      "Input image" },
    { GIMP_PDB_DRAWABLE, "drawable",   "Input layer (RGB* or GRAY*)" },
    { GIMP_PDB_STRING,   "model",      "Model file (.pt); \"\" = the "
                                       "installed default model" },
    { GIMP_PDB_INT32,    "device",     "Device { AUTO (0), CPU (1), "
                                       "CUDA (2) }" },
    { GIMP_PDB_INT32,    "resolution", "Working resolution in pixels (short "
                                       "side); 0 = the model's own" },
    { GIMP_PDB_FLOAT,    "strength",   "Colour strength, 0..2 (0 = gray, "
                                       "1 = model colours)" },
    { GIMP_PDB_INT32,    "output",     "Output { REPLACE (0), NEW-LAYER (1): "
                                       "a new layer in LCh color mode }" },
  };

  gimp_plugin_domain_register (GETTEXT_PACKAGE, plug_in_locale_dir);

  gimp_install_procedure (PLUG_IN_PROC,
                          N_("Colorize a layer with a Pix2Pix neural network"),
                          "Predicts the colours of the layer (or the "
                          "selection) from its lightness with a Pix2Pix "
                          "generator stored as a TorchScript model file, "
                          "and keeps the original lightness. Gray images "
                          "are converted to RGB. On failure the layer is "
                          "left untouched and the error message is "
                          "returned as the second return value.",
                          "gimp-colorize authors",
                          "gimp-colorize authors, GPL-3.0-or-later",
                          "2026",
                          N_("Colorize (Pix2Pix)..."),
                          "RGB*, GRAY*",
                          GIMP_PLUGIN,
                          G_N_ELEMENTS (args), 0,
                          args, NULL);

  gimp_plugin_menu_register (PLUG_IN_PROC, "<Image>/Filters/Colors");
}

static gboolean
check_values (const ColorizeValues *values, GError **error)
{
  if (values->device < COLORIZE_DEVICE_AUTO ||
      values->device > COLORIZE_DEVICE_CUDA)
    g_set_error (error, COLORIZE_HOST_ERROR, COLORIZE_HOST_ERROR_FAILED,
                 _("Invalid device %d (0 = automatic, 1 = CPU, 2 = CUDA)."),
                 values->device);
  else if (values->resolution < 0 ||
           values->resolution > colorize_max_resolution ())
    g_set_error (error, COLORIZE_HOST_ERROR, COLORIZE_HOST_ERROR_FAILED,
                 _("Invalid working resolution %d (0 = the model's own, "
                   "or up to %d)."), values->resolution,
                 colorize_max_resolution ());
  else if (! (values->strength >= 0.0 && values->strength <= 2.0))
    g_set_error (error, COLORIZE_HOST_ERROR, COLORIZE_HOST_ERROR_FAILED,
                 _("Invalid strength %g (0 to 2)."), values->strength);
  else if (values->output != COLORIZE_OUTPUT_REPLACE &&
           values->output != COLORIZE_OUTPUT_NEW_LAYER)
    g_set_error (error, COLORIZE_HOST_ERROR, COLORIZE_HOST_ERROR_FAILED,
                 _("Invalid output %d (0 = replace, 1 = new layer)."),
                 values->output);
  else
    return TRUE;
  return FALSE;
}

/* The values of the last interactive run, if any were stored by this
 * version of the plug-in (same size). */
static void
get_last_values (ColorizeValues *vals)
{
  if (gimp_get_data_size (PLUG_IN_PROC) == sizeof (ColorizeValues))
    gimp_get_data (PLUG_IN_PROC, vals);
}

static void
run (const gchar      *name G_GNUC_UNUSED,
     gint              nparams,
     const GimpParam  *param,
     gint             *nreturn_vals,
     GimpParam       **return_vals)
{
  static GimpParam   values[2];
  static gchar      *message = NULL;
  GimpRunMode        run_mode = param[0].data.d_int32;
  gint32             image_id = param[1].data.d_image;
  gint32             drawable_id = param[2].data.d_drawable;
  GimpPDBStatusType  status = GIMP_PDB_SUCCESS;
  ColorizeValues     vals = default_values;
  GError            *error = NULL;

  textdomain (GETTEXT_PACKAGE);
  gegl_init (NULL, NULL);

  *nreturn_vals = 1;
  *return_vals  = values;
  values[0].type = GIMP_PDB_STATUS;

  switch (run_mode)
    {
    case GIMP_RUN_INTERACTIVE:
      get_last_values (&vals);
      if (! colorize_dialog (drawable_id, &vals))
        status = GIMP_PDB_CANCEL;
      break;

    case GIMP_RUN_NONINTERACTIVE:
      if (nparams != 8)
        {
          status = GIMP_PDB_CALLING_ERROR;
          g_set_error (&error, COLORIZE_HOST_ERROR,
                       COLORIZE_HOST_ERROR_FAILED,
                       _("%s takes 8 arguments, got %d."),
                       PLUG_IN_PROC, nparams);
          break;
        }
      g_strlcpy (vals.model, param[3].data.d_string ? param[3].data.d_string
                                                     : "",
                 sizeof (vals.model));
      vals.device     = param[4].data.d_int32;
      vals.resolution = param[5].data.d_int32;
      vals.strength   = param[6].data.d_float;
      vals.output     = param[7].data.d_int32;
      if (! check_values (&vals, &error))
        status = GIMP_PDB_CALLING_ERROR;
      break;

    case GIMP_RUN_WITH_LAST_VALS:
      get_last_values (&vals);
      break;
    }

  if (status == GIMP_PDB_SUCCESS)
    {
      if (colorize_run (image_id, drawable_id, &vals, &error))
        {
          if (run_mode != GIMP_RUN_NONINTERACTIVE)
            gimp_displays_flush ();
          if (run_mode == GIMP_RUN_INTERACTIVE)
            gimp_set_data (PLUG_IN_PROC, &vals, sizeof (vals));
        }
      else if (g_error_matches (error, COLORIZE_HOST_ERROR,
                                COLORIZE_HOST_ERROR_CANCELLED))
        status = GIMP_PDB_CANCEL;
      else
        status = GIMP_PDB_EXECUTION_ERROR;
    }

  values[0].data.d_status = status;
  if (error)
    {
      g_free (message);
      message = g_strdup (error->message);
      g_error_free (error);
      *nreturn_vals = 2;
      values[1].type          = GIMP_PDB_STRING;
      values[1].data.d_string = message;
    }
  gegl_exit ();
}

/* Restarts the peak-RSS count (Linux; babl's cache loading in gegl_init
 * makes a short spike that is not ours to measure). */
static void
reset_peak_rss (void)
{
  FILE *f = fopen ("/proc/self/clear_refs", "w");

  if (f)
    {
      fputs ("5", f);
      fclose (f);
    }
}

/* VmHWM of this process (Linux), for the debug timings. */
static const gchar *
peak_rss (void)
{
  static gchar  value[64];
  gchar        *status = NULL;
  const gchar  *line;

  g_strlcpy (value, "?", sizeof (value));
  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL) &&
      (line = strstr (status, "VmHWM:")))
    sscanf (line, "VmHWM: %40[^\n]", value);
  g_free (status);
  return g_strstrip (value);
}

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

static gboolean
colorize_run (gint32                image_id,
              gint32                drawable_id,
              const ColorizeValues *values,
              GError              **error)
{
  ColorizeParams  params = { values->resolution, values->strength };
  ColorizeModel  *model;
  GeglRectangle   roi;
  GeglBuffer     *src, *dst, *mask = NULL;
  gint            off_x = 0, off_y = 0;
  gint32          target = drawable_id;
  gboolean        ok;
  gint64          t_start, t_loaded;

  if (! gimp_item_is_layer (drawable_id) ||
      gimp_item_is_group (drawable_id) ||
      gimp_drawable_is_indexed (drawable_id))
    {
      g_set_error (error, COLORIZE_HOST_ERROR, COLORIZE_HOST_ERROR_IMAGE,
                   _("Only RGB and grayscale layers can be colorized."));
      return FALSE;
    }
  if (! gimp_drawable_mask_intersect (drawable_id, &roi.x, &roi.y,
                                      &roi.width, &roi.height))
    return TRUE;  /* the selection does not touch this layer */

  gimp_progress_init (_("Loading the colorization model"));
  reset_peak_rss ();
  t_start = g_get_monotonic_time ();
  model = colorize_model_load (values->model, values->device, error);
  if (! model)
    return FALSE;
  t_loaded = g_get_monotonic_time ();

  gimp_image_undo_group_start (image_id);
  if (gimp_drawable_is_gray (drawable_id))
    gimp_image_convert_rgb (image_id);

  gimp_progress_init_printf (_("Colorizing (%s)"),
                             colorize_model_device_name (model));
  src = gimp_drawable_get_buffer (drawable_id);
  if (values->output == COLORIZE_OUTPUT_NEW_LAYER)
    {
      target = add_color_layer (image_id, drawable_id);
      dst = gimp_drawable_get_buffer (target);
      if (! gimp_selection_is_empty (image_id))
        {
          mask = gimp_drawable_get_buffer (gimp_image_get_selection (image_id));
          gimp_drawable_offsets (drawable_id, &off_x, &off_y);
        }
    }
  else
    {
      /* merge_shadow applies the selection mask (feathering included) */
      dst = gimp_drawable_get_shadow_buffer (drawable_id);
    }

  ok = colorize_buffer (model, &params, src, &roi, dst, mask, off_x, off_y,
                        0, progress_cb, NULL, error);

  g_object_unref (src);
  g_object_unref (dst);  /* flushes the written tiles to GIMP */
  if (mask)
    g_object_unref (mask);
  colorize_model_free (model);

  if (values->output == COLORIZE_OUTPUT_NEW_LAYER)
    {
      if (ok)
        gimp_drawable_update (target, roi.x, roi.y, roi.width, roi.height);
      else
        gimp_image_remove_layer (image_id, target);
    }
  else if (ok)
    {
      gimp_drawable_merge_shadow (drawable_id, TRUE);
      gimp_drawable_update (drawable_id, roi.x, roi.y, roi.width, roi.height);
    }
  else
    {
      gimp_drawable_free_shadow (drawable_id);
    }
  gimp_progress_end ();
  gimp_image_undo_group_end (image_id);
  g_debug ("model load %.3f s, colorize + merge %.3f s, peak RSS %s",
           (t_loaded - t_start) / 1e6,
           (g_get_monotonic_time () - t_loaded) / 1e6, peak_rss ());
  return ok;
}
