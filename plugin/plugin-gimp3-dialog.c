/* plugin-gimp3-dialog.c: the GIMP 3.0 dialog of Colorize (Pix2Pix): the
 * procedure's arguments through GimpProcedureDialog, and a before/after
 * preview of the whole layer at reduced size, recomputed (after a short
 * pause) whenever an argument changes. */

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <glib/gi18n-lib.h>

#include "plugin-gimp3.h"

#define PREVIEW_SIZE 240

typedef struct
{
  GimpProcedureConfig *config;
  GimpDrawable        *drawable;
  GtkWidget           *before;
  GtkWidget           *after;
  GtkWidget           *status;
  ColorizeModel       *model;         /* cached for the preview */
  gchar               *model_path;    /* what `model` was loaded from */
  gint                 model_device;
  guint                timeout_id;
} Dialog;

static void
show_preview_area (GtkWidget *area, const guchar *pixels, gint w, gint h)
{
  gint x = (PREVIEW_SIZE - w) / 2, y = (PREVIEW_SIZE - h) / 2;

  gimp_preview_area_fill (GIMP_PREVIEW_AREA (area), 0, 0,
                          PREVIEW_SIZE, PREVIEW_SIZE, 128, 128, 128);
  gimp_preview_area_draw (GIMP_PREVIEW_AREA (area), x, y, w, h,
                          GIMP_RGBA_IMAGE, pixels, 4 * w);
}

static gboolean
update_preview (gpointer data)
{
  Dialog         *d = data;
  ColorizeParams  params;
  GError         *error = NULL;
  GeglBuffer     *src;
  guchar         *before = NULL, *after = NULL;
  gchar          *path = colorize_config_model_path (d->config);
  gint            device, w, h;

  d->timeout_id = 0;
  g_object_get (d->config,
                "resolution", &params.resolution,
                "strength",   &params.strength,
                NULL);
  device = gimp_procedure_config_get_choice_id (d->config, "device");

  if (! d->model || g_strcmp0 (d->model_path, path) != 0 ||
      d->model_device != device)
    {
      g_clear_pointer (&d->model, colorize_model_free);
      g_free (d->model_path);
      d->model_path = g_strdup (path);
      d->model_device = device;
      gtk_label_set_text (GTK_LABEL (d->status),
                          _("Loading the colorization model"));
      while (gtk_events_pending ())
        gtk_main_iteration ();
      d->model = colorize_model_load (path, device, &error);
    }
  g_free (path);

  /* without a model: "before" only, and why there is no "after" */
  src = gimp_drawable_get_buffer (d->drawable);
  colorize_config_hints (d->config, d->drawable, &params);
  if (colorize_preview (d->model, &params, src, PREVIEW_SIZE, &w, &h,
                        &before, &after, error ? NULL : &error))
    {
      show_preview_area (d->before, before, w, h);
      if (after)
        {
          gchar *name = g_path_get_basename (d->model_path
                                             ? d->model_path
                                             : colorize_default_model_path ());
          gchar *text = g_strdup_printf (_("Preview with %s on %s"), name,
                                         colorize_model_device_name (d->model));

          show_preview_area (d->after, after, w, h);
          gtk_label_set_text (GTK_LABEL (d->status), text);
          g_free (text);
          g_free (name);
        }
    }
  if (error)
    {
      gimp_preview_area_fill (GIMP_PREVIEW_AREA (d->after), 0, 0,
                              PREVIEW_SIZE, PREVIEW_SIZE, 128, 128, 128);
      gtk_label_set_text (GTK_LABEL (d->status), error->message);
      g_error_free (error);
    }
  g_object_unref (src);
  g_clear_object (&params.hints);
  g_free (before);
  g_free (after);
  return G_SOURCE_REMOVE;
}

static void
queue_preview (Dialog *d)
{
  if (! d->timeout_id)
    d->timeout_id = g_timeout_add (300, update_preview, d);
}

static GtkWidget *
labelled_preview (GtkWidget *box, const gchar *text)
{
  GtkWidget *vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *area = gimp_preview_area_new ();

  gtk_widget_set_size_request (area, PREVIEW_SIZE, PREVIEW_SIZE);
  gtk_box_pack_start (GTK_BOX (vbox), area, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), gtk_label_new (text), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), vbox, FALSE, FALSE, 0);
  return area;
}

gboolean
colorize_dialog (GimpProcedure       *procedure,
                 GimpProcedureConfig *config,
                 GimpDrawable        *drawable)
{
  Dialog     d = { 0 };
  GtkWidget *dialog, *content, *vbox, *hbox, *chooser;
  gboolean   ok;

  d.config = config;
  d.drawable = drawable;
  gimp_ui_init (PLUG_IN_BINARY);

  dialog = gimp_procedure_dialog_new (procedure, config,
                                      _("Colorize (Pix2Pix)"));

  gimp_procedure_dialog_get_widget (GIMP_PROCEDURE_DIALOG (dialog),
                                    "output", GIMP_TYPE_INT_RADIO_FRAME);
  gimp_procedure_dialog_fill (GIMP_PROCEDURE_DIALOG (dialog),
                              "device", "resolution", "strength", "hints",
                              "output", NULL);

  /* the preview and the model file above the other arguments */
  content = gtk_dialog_get_content_area (GTK_DIALOG (dialog));
  vbox = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  d.before = labelled_preview (hbox, _("Before"));
  d.after  = labelled_preview (hbox, _("After"));
  d.status = gtk_label_new ("");
  gtk_label_set_line_wrap (GTK_LABEL (d.status), TRUE);
  gtk_box_pack_start (GTK_BOX (vbox), hbox, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), d.status, FALSE, FALSE, 0);

  /* the argument's action is ANY (see plugin-gimp3.c), which GIMP's own
   * file widget refuses: an OPEN chooser bound to it; none = default */
  chooser = gimp_file_chooser_new (GIMP_FILE_CHOOSER_ACTION_OPEN,
                                   _("_Model file"),
                                   _("Select a model file"), NULL);
  g_object_bind_property (config, "model-file", chooser, "file",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  gimp_help_set_help_data (chooser,
                           g_param_spec_get_blurb (
                             g_object_class_find_property (
                               G_OBJECT_GET_CLASS (config), "model-file")),
                           NULL);
  gtk_box_pack_start (GTK_BOX (vbox), chooser, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (content), vbox, FALSE, FALSE, 0);
  gtk_box_reorder_child (GTK_BOX (content), vbox, 0);
  gtk_widget_show_all (vbox);

  g_signal_connect_swapped (config, "notify",
                            G_CALLBACK (queue_preview), &d);
  queue_preview (&d);

  ok = gimp_procedure_dialog_run (GIMP_PROCEDURE_DIALOG (dialog));

  g_signal_handlers_disconnect_by_data (config, &d);
  if (d.timeout_id)
    g_source_remove (d.timeout_id);
  g_clear_pointer (&d.model, colorize_model_free);
  g_free (d.model_path);
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
