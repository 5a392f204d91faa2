/* plugin-gimp2.c: Colorize (Pix2Pix) for GIMP 2.10: registration,
 * arguments. Writing into the image is the business of
 * plugin-gimp2-apply.c, the pixels of colorize-host.cpp, the dialog of
 * plugin-gimp2-dialog.c.
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

static void     query         (void);
static void     run           (const gchar      *name,
                               gint              nparams,
                               const GimpParam  *param,
                               gint             *nreturn_vals,
                               GimpParam       **return_vals);

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
  -1,                       /* no colour hints              */
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
    { GIMP_PDB_LAYER,    "hints",      "Colour hints for a hint model: a "
                                       "layer of the image with alpha whose "
                                       "opaque pixels give their colour "
                                       "there; -1 = none" },
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
                          G_N_ELEMENTS (args) - 1, 0,
                          args, NULL);
  gimp_install_procedure (PLUG_IN_PROC_HINTS,
                          "Colorize a layer with a Pix2Pix neural network "
                          "and colour hints",
                          "plug-in-colorize-pix2pix with a ninth argument: "
                          "a layer of colour hints (dots painted on a "
                          "transparent layer) for a hint model, or -1.",
                          "gimp-colorize authors",
                          "gimp-colorize authors, GPL-3.0-or-later",
                          "2026",
                          NULL,
                          "RGB*, GRAY*",
                          GIMP_PLUGIN,
                          G_N_ELEMENTS (args), 0,
                          args, NULL);

  gimp_plugin_menu_register (PLUG_IN_PROC, "<Image>/Filters/Colors");
}

static gboolean
check_values (gint32                image_id,
              gint32                drawable_id,
              const ColorizeValues *values,
              GError              **error)
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
  else if (values->hints != -1 &&
           (! gimp_item_is_valid (values->hints) ||
            ! gimp_item_is_layer (values->hints) ||
            gimp_item_get_image (values->hints) != image_id ||
            values->hints == drawable_id))
    g_set_error (error, COLORIZE_HOST_ERROR, COLORIZE_HOST_ERROR_FAILED,
                 _("The colour hints must be another layer of the same "
                     "image, or none."));
  else
    return TRUE;
  return FALSE;
}

/* The values of the last interactive run, if any were stored by this
 * version of the plug-in (same size). */
static void
get_last_values (gint32 image_id, gint32 drawable_id, ColorizeValues *vals)
{
  if (gimp_get_data_size (PLUG_IN_PROC) == sizeof (ColorizeValues))
    gimp_get_data (PLUG_IN_PROC, vals);
  /* a hints layer of another image, or one deleted since, is no longer */
  if (vals->hints != -1 &&
      (! gimp_item_is_valid (vals->hints) ||
       gimp_item_get_image (vals->hints) != image_id ||
       vals->hints == drawable_id))
    vals->hints = -1;
}

/* The values to run with: the last ones, the dialog's or the arguments.
 * GIMP_PDB_SUCCESS, or the status to return (with error when a calling
 * error). */
static GimpPDBStatusType
get_values (const gchar      *name,
            GimpRunMode       run_mode,
            gint              nparams,
            const GimpParam  *param,
            gint32            image_id,
            gint32            drawable_id,
            ColorizeValues   *vals,
            ColorizeModel   **model,
            GError          **error)
{
  const gint wanted = strcmp (name, PLUG_IN_PROC_HINTS) == 0 ? 9 : 8;

  switch (run_mode)
    {
    case GIMP_RUN_INTERACTIVE:
      get_last_values (image_id, drawable_id, vals);
      if (! colorize_dialog (drawable_id, vals, model))
        return GIMP_PDB_CANCEL;
      break;

    case GIMP_RUN_NONINTERACTIVE:
      if (nparams != wanted)
        {
          g_set_error (error, COLORIZE_HOST_ERROR,
                       COLORIZE_HOST_ERROR_FAILED,
                       _("%s takes %d arguments, got %d."),
                       name, wanted, nparams);
          return GIMP_PDB_CALLING_ERROR;
        }
      g_strlcpy (vals->model, param[3].data.d_string ? param[3].data.d_string
                                                      : "",
                 sizeof (vals->model));
      vals->device     = param[4].data.d_int32;
      vals->resolution = param[5].data.d_int32;
      vals->strength   = param[6].data.d_float;
      vals->output     = param[7].data.d_int32;
      vals->hints      = wanted == 9 ? param[8].data.d_layer : -1;
      if (! check_values (image_id, drawable_id, vals, error))
        return GIMP_PDB_CALLING_ERROR;
      break;

    case GIMP_RUN_WITH_LAST_VALS:
      get_last_values (image_id, drawable_id, vals);
      break;
    }

  return GIMP_PDB_SUCCESS;
}

static void
run (const gchar      *name,
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
  ColorizeModel     *model = NULL;   /* loaded by the dialog's preview */
  GError            *error = NULL;

  textdomain (GETTEXT_PACKAGE);
  gegl_init (NULL, NULL);
  colorize_host_setup ();
  colorize_host_preload ();

  *nreturn_vals = 1;
  *return_vals  = values;
  values[0].type = GIMP_PDB_STATUS;

  /* refused before any dialog, the same in GIMP 3.0 */
  if (! colorize_check_drawable (gimp_item_is_layer (drawable_id),
                                 gimp_item_is_group (drawable_id),
                                 gimp_drawable_is_indexed (drawable_id),
                                 &error))
    status = GIMP_PDB_EXECUTION_ERROR;
  else
    status = get_values (name, run_mode, nparams, param, image_id,
                         drawable_id, &vals, &model, &error);

  if (status == GIMP_PDB_SUCCESS)
    {
      if (colorize_apply (image_id, drawable_id, &vals, model, &error))
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
