/* plugin-gimp3.c: Colorize (Pix2Pix) for GIMP 3.0: registration,
 * arguments. Writing into the image is the business of
 * plugin-gimp3-apply.c, the pixels of colorize-host.cpp, the dialog of
 * plugin-gimp3-dialog.c.
 *
 * This program is free software: you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation, either version 3 of the License, or (at your
 * option) any later version.
 */

#include <string.h>

#include <libgimp/gimp.h>
#include <glib/gi18n-lib.h>

#include "plugin-gimp3.h"


typedef struct _Colorize      Colorize;
typedef struct _ColorizeClass ColorizeClass;

struct _Colorize
{
  GimpPlugIn parent_instance;
};

struct _ColorizeClass
{
  GimpPlugInClass parent_class;
};

#define COLORIZE_TYPE (colorize_get_type ())

GType                   colorize_get_type         (void) G_GNUC_CONST;

static GList          * colorize_query_procedures (GimpPlugIn           *plug_in);
static GimpProcedure  * colorize_create_procedure (GimpPlugIn           *plug_in,
                                                   const gchar          *name);
static gboolean         colorize_set_i18n         (GimpPlugIn           *plug_in,
                                                   const gchar          *name,
                                                   gchar               **gettext_domain,
                                                   gchar               **catalog_dir);
static GimpValueArray * colorize_run              (GimpProcedure        *procedure,
                                                   GimpRunMode           run_mode,
                                                   GimpImage            *image,
                                                   GimpDrawable        **drawables,
                                                   GimpProcedureConfig  *config,
                                                   gpointer              run_data);


G_DEFINE_TYPE (Colorize, colorize, GIMP_TYPE_PLUG_IN)

GIMP_MAIN (COLORIZE_TYPE)


static void
colorize_class_init (ColorizeClass *klass)
{
  GimpPlugInClass *plug_in_class = GIMP_PLUG_IN_CLASS (klass);

  plug_in_class->query_procedures = colorize_query_procedures;
  plug_in_class->create_procedure = colorize_create_procedure;
  plug_in_class->set_i18n         = colorize_set_i18n;
}

static void
colorize_init (Colorize *colorize G_GNUC_UNUSED)
{
}

static GList *
colorize_query_procedures (GimpPlugIn *plug_in G_GNUC_UNUSED)
{
  return g_list_append (NULL, g_strdup (PLUG_IN_PROC));
}

/* Our own domain (never gimp30-*). `meson install` puts the .mo files in
 * a "locale" folder beside the binary, where GIMP looks (and only there:
 * catalog_dir must be relative); without that folder, e.g. when run from a
 * build tree, bind the compiled-in system folder ourselves. */
static gboolean
colorize_set_i18n (GimpPlugIn   *plug_in G_GNUC_UNUSED,
                   const gchar  *name G_GNUC_UNUSED,
                   gchar       **gettext_domain,
                   gchar       **catalog_dir)
{
  gchar    *dir = g_path_get_dirname (gimp_get_progname ());
  gchar    *beside = g_build_filename (dir, "locale", NULL);
  gboolean  found = g_file_test (beside, G_FILE_TEST_IS_DIR);

  g_free (beside);
  g_free (dir);
  if (found)
    {
      *gettext_domain = g_strdup (GETTEXT_PACKAGE);
      *catalog_dir = g_strdup ("locale");
      return TRUE;
    }
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  return FALSE;
}

static GimpProcedure *
colorize_create_procedure (GimpPlugIn  *plug_in,
                           const gchar *name)
{
  GimpProcedure *procedure = NULL;
  gchar         *dir = g_path_get_dirname (gimp_get_progname ());

  gegl_init (NULL, NULL);
  colorize_host_setup ();
  /* models/colorize-default.pt beside the binary (per-user installs)
   * wins over the installed default model */
  colorize_set_plugin_dir (dir);
  g_free (dir);

  if (! strcmp (name, PLUG_IN_PROC))
    {
      gchar *model_blurb;

      procedure = gimp_image_procedure_new (plug_in, name,
                                            GIMP_PDB_PROC_TYPE_PLUGIN,
                                            colorize_run, NULL, NULL);

      gimp_procedure_set_image_types (procedure, "RGB*, GRAY*");
      gimp_procedure_set_sensitivity_mask (procedure,
                                           GIMP_PROCEDURE_SENSITIVE_DRAWABLE);

      gimp_procedure_set_menu_label (procedure, _("Colorize (Pix2Pix)..."));
      gimp_procedure_add_menu_path (procedure, "<Image>/Filters/Colors");

      gimp_procedure_set_documentation (procedure,
                                        _("Colorize a layer with a Pix2Pix "
                                          "neural network"),
                                        _("Predicts the colours of the layer "
                                          "(or the selection) from its "
                                          "lightness with a Pix2Pix "
                                          "generator stored as a TorchScript "
                                          "model file, and keeps the original "
                                          "lightness. Gray images are "
                                          "converted to RGB. On failure the "
                                          "layer is left untouched."),
                                        name);
      gimp_procedure_set_attribution (procedure,
                                      "gimp-colorize authors",
                                      "gimp-colorize authors, "
                                      "GPL-3.0-or-later",
                                      "2026");

      model_blurb = g_strdup_printf (_("TorchScript model file (.pt). "
                                       "Without one, the installed default "
                                       "model is used: %s"),
                                     colorize_default_model_path ());
      /* ANY, not OPEN: GIMP would turn a missing file into a calling
       * error naming no file; the plug-in's own message says what is
       * wrong (the dialog makes its own OPEN chooser) */
      gimp_procedure_add_file_argument (procedure, "model-file",
                                        _("_Model file"), model_blurb,
                                        GIMP_FILE_CHOOSER_ACTION_ANY,
                                        TRUE, NULL,
                                        G_PARAM_READWRITE);
      g_free (model_blurb);

      gimp_procedure_add_choice_argument (procedure, "device",
                                          _("_Device"),
                                          _("Where the network runs"),
                                          gimp_choice_new_with_values (
                                            "auto", COLORIZE_DEVICE_AUTO,
                                            _("Automatic"), NULL,
                                            "cpu",  COLORIZE_DEVICE_CPU,
                                            _("CPU"), NULL,
                                            "cuda", COLORIZE_DEVICE_CUDA,
                                            _("CUDA (GPU)"), NULL,
                                            NULL),
                                          "auto",
                                          G_PARAM_READWRITE);

      gimp_procedure_add_int_argument (procedure, "resolution",
                                       _("_Resolution"),
                                       _("Size of the short side the network "
                                         "works at; 0 = the model's own"),
                                       0, colorize_max_resolution (), 0,
                                       G_PARAM_READWRITE);

      gimp_procedure_add_double_argument (procedure, "strength",
                                          _("_Strength"),
                                          _("0 = gray, 1 = the model's "
                                            "colours, 2 = more saturated"),
                                          0.0, 2.0, 1.0,
                                          G_PARAM_READWRITE);

      gimp_procedure_add_choice_argument (procedure, "output",
                                          _("_Output"),
                                          _("Replace the layer's pixels, or "
                                            "put the colours in a new layer "
                                            "above in LCh color mode"),
                                          gimp_choice_new_with_values (
                                            "replace",
                                            COLORIZE_OUTPUT_REPLACE,
                                            _("_Replace the layer's pixels"),
                                            NULL,
                                            "new-layer",
                                            COLORIZE_OUTPUT_NEW_LAYER,
                                            _("_New layer in LCh color mode"),
                                            NULL,
                                            NULL),
                                          "replace",
                                          G_PARAM_READWRITE);

      gimp_procedure_add_layer_argument (procedure, "hints",
                                         _("Colour _hints"),
                                         _("A layer of dots of colour for a "
                                           "hint model: paint them on a "
                                           "transparent layer where you know "
                                           "the colours; none = automatic "
                                           "colours"),
                                         TRUE, G_PARAM_READWRITE);
    }

  return procedure;
}

/* The "hints" layer: another layer of the same image, or none. In the
 * dialog, by default the image's layer named HINTS_LAYER_NAME. */
static gboolean
hints_fit (GimpImage            *image,
           GimpDrawable         *drawable,
           GimpProcedureConfig  *config,
           GimpRunMode           run_mode,
           GError              **error)
{
  GimpLayer *hints = NULL;
  gboolean   ok = TRUE;

  g_object_get (config, "hints", &hints, NULL);
  if (! hints && run_mode == GIMP_RUN_INTERACTIVE)
    {
      GimpLayer *named = gimp_image_get_layer_by_name (image,
                                                       HINTS_LAYER_NAME);
      if (named && GIMP_DRAWABLE (named) != drawable)
        g_object_set (config, "hints", named, NULL);
    }
  else if (hints && (gimp_item_get_image (GIMP_ITEM (hints)) != image ||
                     GIMP_DRAWABLE (hints) == drawable ||
                     gimp_item_is_group (GIMP_ITEM (hints))))
    {
      g_set_error (error, COLORIZE_HOST_ERROR, COLORIZE_HOST_ERROR_FAILED,
                   _("The colour hints must be another layer of the same "
                     "image, or none."));
      ok = FALSE;
    }
  g_clear_object (&hints);
  return ok;
}

static GimpValueArray *
colorize_run (GimpProcedure        *procedure,
              GimpRunMode           run_mode,
              GimpImage            *image,
              GimpDrawable        **drawables,
              GimpProcedureConfig  *config,
              gpointer              run_data G_GNUC_UNUSED)
{
  GimpDrawable  *drawable;
  ColorizeModel *model = NULL;   /* loaded by the dialog's preview */
  GError        *error = NULL;

  colorize_host_preload ();
  if (gimp_core_object_array_get_length ((GObject **) drawables) != 1)
    {
      g_set_error (&error, GIMP_PLUG_IN_ERROR, 0,
                   _("Procedure '%s' only works with one drawable."),
                   PLUG_IN_PROC);
      return gimp_procedure_new_return_values (procedure,
                                               GIMP_PDB_CALLING_ERROR,
                                               error);
    }
  drawable = drawables[0];

  if (! colorize_check_drawable (gimp_item_is_layer (GIMP_ITEM (drawable)),
                                 gimp_item_is_group (GIMP_ITEM (drawable)),
                                 gimp_drawable_is_indexed (drawable),
                                 &error))
    return gimp_procedure_new_return_values (procedure,
                                             GIMP_PDB_EXECUTION_ERROR,
                                             error);

  if (! hints_fit (image, drawable, config, run_mode, &error))
    return gimp_procedure_new_return_values (procedure,
                                             GIMP_PDB_CALLING_ERROR,
                                             error);

  if (run_mode == GIMP_RUN_INTERACTIVE &&
      ! colorize_dialog (procedure, config, drawable, &model))
    return gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL,
                                             NULL);

  if (! colorize_apply (image, drawable, config, model, &error))
    {
      GimpPDBStatusType status =
        g_error_matches (error, COLORIZE_HOST_ERROR,
                         COLORIZE_HOST_ERROR_CANCELLED) ?
        GIMP_PDB_CANCEL : GIMP_PDB_EXECUTION_ERROR;

      return gimp_procedure_new_return_values (procedure, status, error);
    }

  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();

  return gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS,
                                           NULL);
}
