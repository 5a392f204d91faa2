/* plugin-gimp3-dialog.c: the GIMP 3.0 dialog of Colorize (Pix2Pix): the
 * shared preview and model list (colorize-dialog.h) above the procedure's
 * other arguments, laid out by GimpProcedureDialog; the preview follows
 * every change of an argument. */

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <glib/gi18n-lib.h>

#include "colorize-dialog.h"
#include "plugin-gimp3.h"

typedef struct
{
  GimpProcedureConfig *config;
  GimpDrawable        *drawable;
  GtkWidget           *model_combo;
  ColorizePreview     *preview;
} Dialog;

static GeglBuffer *
preview_source (gpointer         data,
                gchar          **model_path,
                ColorizeDevice  *device,
                ColorizeParams  *params)
{
  Dialog *d = data;

  g_object_get (d->config,
                "resolution", &params->resolution,
                "strength",   &params->strength,
                NULL);
  *device = gimp_procedure_config_get_choice_id (d->config, "device");
  *model_path = colorize_config_model_path (d->config);
  colorize_config_hints (d->config, d->drawable, params);
  return gimp_drawable_get_buffer (d->drawable);
}

/* The model list and the "model-file" argument follow each other. */
static void
model_combo_changed (GtkWidget *combo, Dialog *d)
{
  gchar *path = colorize_model_combo_get_path (combo);
  gchar *old = colorize_config_model_path (d->config);
  GFile *file = *path ? g_file_new_for_path (path) : NULL;

  if (g_strcmp0 (old ? old : "", path) != 0)
    g_object_set (d->config, "model-file", file, NULL);
  g_clear_object (&file);
  g_free (old);
  g_free (path);
}

static void
config_changed (GimpProcedureConfig *config, GParamSpec *pspec, Dialog *d)
{
  if (g_strcmp0 (pspec->name, "model-file") == 0)
    {
      gchar *path = colorize_config_model_path (config);
      gchar *shown = colorize_model_combo_get_path (d->model_combo);

      if (g_strcmp0 (path ? path : "", shown) != 0)
        colorize_model_combo_set_path (d->model_combo, path);
      g_free (shown);
      g_free (path);
    }
  colorize_preview_queue (d->preview);
}

static GtkWidget *
model_row (Dialog *d)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new_with_mnemonic (_("_Model"));
  gchar     *path = colorize_config_model_path (d->config);

  d->model_combo = colorize_model_combo_new (path);
  g_free (path);
  gimp_help_set_help_data (d->model_combo,
                           g_param_spec_get_blurb (
                             g_object_class_find_property (
                               G_OBJECT_GET_CLASS (d->config), "model-file")),
                           NULL);
  g_signal_connect (d->model_combo, "changed",
                    G_CALLBACK (model_combo_changed), d);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), d->model_combo);
  gtk_box_pack_start (GTK_BOX (box), label, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), d->model_combo, TRUE, TRUE, 0);
  return box;
}

gboolean
colorize_dialog (GimpProcedure       *procedure,
                 GimpProcedureConfig *config,
                 GimpDrawable        *drawable,
                 ColorizeModel      **model)
{
  Dialog        d = { 0 };
  GtkWidget    *dialog, *content, *vbox, *preview;
  GtkListStore *resolutions;
  gint          resolution;
  gboolean      ok;

  d.config = config;
  d.drawable = drawable;
  gimp_ui_init (PLUG_IN_BINARY);

  dialog = gimp_procedure_dialog_new (procedure, config,
                                      _("Colorize (Pix2Pix)"));

  g_object_get (config, "resolution", &resolution, NULL);
  resolutions = colorize_resolution_store_new (resolution);
  gimp_procedure_dialog_get_int_combo (GIMP_PROCEDURE_DIALOG (dialog),
                                       "resolution",
                                       GIMP_INT_STORE (resolutions));
  gimp_procedure_dialog_get_widget (GIMP_PROCEDURE_DIALOG (dialog),
                                    "output", GIMP_TYPE_INT_RADIO_FRAME);
  gimp_procedure_dialog_fill (GIMP_PROCEDURE_DIALOG (dialog),
                              "device", "resolution", "strength", "hints",
                              "output", NULL);

  /* the preview and the model list above the other arguments */
  d.preview = colorize_preview_new (preview_source, &d, resolutions, &preview);
  g_object_unref (resolutions);
  content = gtk_dialog_get_content_area (GTK_DIALOG (dialog));
  vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_box_pack_start (GTK_BOX (vbox), preview, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), model_row (&d), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (content), vbox, FALSE, FALSE, 0);
  gtk_box_reorder_child (GTK_BOX (content), vbox, 0);
  gtk_widget_show_all (vbox);

  g_signal_connect (config, "notify", G_CALLBACK (config_changed), &d);
  colorize_preview_queue (d.preview);

  ok = gimp_procedure_dialog_run (GIMP_PROCEDURE_DIALOG (dialog));

  g_signal_handlers_disconnect_by_data (config, &d);
  *model = NULL;
  if (ok)
    {
      gchar *path = colorize_config_model_path (config);

      *model = colorize_preview_take_model (
        d.preview, path, gimp_procedure_config_get_choice_id (config, "device"));
      g_free (path);
    }
  colorize_preview_free (d.preview);
  gtk_widget_destroy (dialog);
  return ok;
}

gchar *
colorize_config_model_path (GimpProcedureConfig *config)
{
  GFile *file = NULL;
  gchar *path = NULL;

  g_object_get (config, "model-file", &file, NULL);
  if (file)
    {
      path = g_file_get_path (file);
      if (! path)  /* a URI GIO cannot map to a local path */
        path = g_file_get_uri (file);
      g_object_unref (file);
    }
  return path;
}
