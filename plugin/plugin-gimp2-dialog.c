/* plugin-gimp2-dialog.c: the GIMP 2.10 (GTK 2) dialog of Colorize
 * (Pix2Pix): model file, device, working resolution, strength, output,
 * and a before/after preview of the whole layer at reduced size. */

#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <glib/gi18n-lib.h>

#include "plugin-gimp2.h"

#define PREVIEW_SIZE 240

typedef struct
{
  ColorizeValues *values;
  gint32          drawable_id;
  GtkWidget      *chooser;
  GtkWidget      *before;
  GtkWidget      *after;
  GtkWidget      *status;
  ColorizeModel  *model;          /* cached for the preview */
  gchar          *model_path;     /* what `model` was loaded from */
  gint            model_device;
  guint           idle_id;
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
  ColorizeParams  params = { d->values->resolution, d->values->strength,
                              NULL, 0, 0 };
  GError         *error = NULL;
  GeglBuffer     *src;
  guchar         *before = NULL, *after = NULL;
  gint            w, h;

  d->idle_id = 0;
  if (! d->model || g_strcmp0 (d->model_path, d->values->model) != 0 ||
      d->model_device != d->values->device)
    {
      g_clear_pointer (&d->model, colorize_model_free);
      g_free (d->model_path);
      d->model_path = g_strdup (d->values->model);
      d->model_device = d->values->device;
      gtk_label_set_text (GTK_LABEL (d->status),
                          _("Loading the colorization model"));
      while (gtk_events_pending ())
        gtk_main_iteration ();
      d->model = colorize_model_load (d->values->model, d->values->device,
                                      &error);
    }

  /* without a model: "before" only, and why there is no "after" */
  src = gimp_drawable_get_buffer (d->drawable_id);
  colorize_hints_params (d->drawable_id, d->values->hints, &params);
  if (colorize_preview (d->model, &params, src, PREVIEW_SIZE, &w, &h,
                        &before, &after, error ? NULL : &error))
    {
      show_preview_area (d->before, before, w, h);
      if (after)
        {
          const gchar *path = d->values->model[0]
                              ? d->values->model
                              : colorize_default_model_path ();
          gchar *name = g_path_get_basename (path);
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
  if (! d->idle_id)
    d->idle_id = g_timeout_add (300, update_preview, d);
}

static void
model_changed (GtkFileChooser *chooser, Dialog *d)
{
  gchar *file = gtk_file_chooser_get_filename (chooser);

  g_strlcpy (d->values->model, file ? file : "", sizeof (d->values->model));
  g_free (file);
  queue_preview (d);
}

static void
use_default_clicked (GtkButton *button G_GNUC_UNUSED, Dialog *d)
{
  gtk_file_chooser_unselect_all (GTK_FILE_CHOOSER (d->chooser));
  d->values->model[0] = '\0';
  queue_preview (d);
}

static void
int_changed (GtkWidget *widget, Dialog *d)
{
  if (GIMP_IS_INT_COMBO_BOX (widget))
    gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (widget),
                                   &d->values->device);
  else
    d->values->resolution =
      gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (widget));
  queue_preview (d);
}

static void
hints_changed (GtkWidget *combo, Dialog *d)
{
  gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (combo),
                                 &d->values->hints);
  queue_preview (d);
}

/* Hints come from another plain layer of the same image. */
static gboolean
hints_candidate (gint32 image_id, gint32 item_id, gpointer data)
{
  gint32 drawable_id = GPOINTER_TO_INT (data);

  return image_id == gimp_item_get_image (drawable_id) &&
         item_id != drawable_id && ! gimp_item_is_group (item_id);
}

static GtkWidget *
hints_combo (gint32 drawable_id, ColorizeValues *values, Dialog *d)
{
  GtkWidget *combo = gimp_layer_combo_box_new (hints_candidate,
                                               GINT_TO_POINTER (drawable_id));

  gimp_int_combo_box_prepend (GIMP_INT_COMBO_BOX (combo),
                              GIMP_INT_STORE_VALUE, -1,
                              GIMP_INT_STORE_LABEL, _("None"),
                              -1);
  if (values->hints == -1)
    {
      gint32 named = gimp_image_get_layer_by_name (
        gimp_item_get_image (drawable_id), HINTS_LAYER_NAME);

      if (named != -1 && hints_candidate (gimp_item_get_image (named), named,
                                          GINT_TO_POINTER (drawable_id)))
        values->hints = named;
    }
  gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (combo), values->hints);
  gimp_help_set_help_data (combo, _("A layer of dots of colour for a hint "
                                    "model: paint them on a transparent "
                                    "layer where you know the colours"),
                           NULL);
  g_signal_connect (combo, "changed", G_CALLBACK (hints_changed), d);
  return combo;
}

static void
strength_changed (GtkAdjustment *adj, Dialog *d)
{
  d->values->strength = gtk_adjustment_get_value (adj);
  queue_preview (d);
}

static GtkWidget *
labelled_preview (GtkWidget *box, const gchar *text)
{
  GtkWidget *vbox = gtk_vbox_new (FALSE, 2);
  GtkWidget *area = gimp_preview_area_new ();

  gtk_widget_set_size_request (area, PREVIEW_SIZE, PREVIEW_SIZE);
  gtk_box_pack_start (GTK_BOX (vbox), area, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), gtk_label_new (text), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), vbox, FALSE, FALSE, 0);
  return area;
}

static void
attach_row (GtkWidget *table, gint row, const gchar *label, GtkWidget *w)
{
  gimp_table_attach_aligned (GTK_TABLE (table), 0, row, label, 0.0, 0.5,
                             w, 2, FALSE);
}

gboolean
colorize_dialog (gint32 drawable_id, ColorizeValues *values)
{
  Dialog     d = { 0 };
  GtkWidget *dialog, *vbox, *hbox, *table, *box, *button, *combo, *spin;
  GtkWidget *radio;
  GtkObject *adj;
  gchar     *tip;
  gboolean   ok;

  d.values = values;
  d.drawable_id = drawable_id;
  gimp_ui_init (PLUG_IN_BINARY, FALSE);

  dialog = gimp_dialog_new (_("Colorize (Pix2Pix)"), PLUG_IN_ROLE,
                            NULL, 0, gimp_standard_help_func, PLUG_IN_PROC,
                            _("_Cancel"), GTK_RESPONSE_CANCEL,
                            _("_OK"),     GTK_RESPONSE_OK,
                            NULL);
  gtk_dialog_set_alternative_button_order (GTK_DIALOG (dialog),
                                           GTK_RESPONSE_OK,
                                           GTK_RESPONSE_CANCEL, -1);
  gimp_window_set_transient (GTK_WINDOW (dialog));

  vbox = gtk_vbox_new (FALSE, 12);
  gtk_container_set_border_width (GTK_CONTAINER (vbox), 12);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (dialog))),
                      vbox, TRUE, TRUE, 0);

  hbox = gtk_hbox_new (FALSE, 12);
  gtk_box_pack_start (GTK_BOX (vbox), hbox, FALSE, FALSE, 0);
  d.before = labelled_preview (hbox, _("Before"));
  d.after  = labelled_preview (hbox, _("After"));
  d.status = gtk_label_new ("");
  gtk_label_set_line_wrap (GTK_LABEL (d.status), TRUE);
  gtk_box_pack_start (GTK_BOX (vbox), d.status, FALSE, FALSE, 0);

  table = gtk_table_new (6, 3, FALSE);
  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_table_set_row_spacings (GTK_TABLE (table), 6);
  gtk_box_pack_start (GTK_BOX (vbox), table, FALSE, FALSE, 0);

  /* model file: empty chooser = the installed default model */
  box = gtk_hbox_new (FALSE, 6);
  d.chooser = gtk_file_chooser_button_new (_("Select a model file"),
                                           GTK_FILE_CHOOSER_ACTION_OPEN);
  if (values->model[0])
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (d.chooser),
                                   values->model);
  tip = g_strdup_printf (_("TorchScript model file (.pt). Without one, the "
                           "installed default model is used: %s"),
                         colorize_default_model_path ());
  gimp_help_set_help_data (d.chooser, tip, NULL);
  g_free (tip);
  g_signal_connect (d.chooser, "file-set", G_CALLBACK (model_changed), &d);
  button = gtk_button_new_with_mnemonic (_("_Default model"));
  g_signal_connect (button, "clicked", G_CALLBACK (use_default_clicked), &d);
  gtk_box_pack_start (GTK_BOX (box), d.chooser, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (box), button, FALSE, FALSE, 0);
  attach_row (table, 0, _("_Model:"), box);

  combo = gimp_int_combo_box_new (_("Automatic"),  COLORIZE_DEVICE_AUTO,
                                  _("CPU"),        COLORIZE_DEVICE_CPU,
                                  _("CUDA (GPU)"), COLORIZE_DEVICE_CUDA,
                                  NULL);
  gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (combo), values->device);
  g_signal_connect (combo, "changed", G_CALLBACK (int_changed), &d);
  attach_row (table, 1, _("_Device:"), combo);

  spin = gtk_spin_button_new_with_range (0, colorize_max_resolution (), 32);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), values->resolution);
  gimp_help_set_help_data (spin, _("Size of the short side the network "
                                   "works at; 0 = the model's own"), NULL);
  g_signal_connect (spin, "value-changed", G_CALLBACK (int_changed), &d);
  attach_row (table, 2, _("_Resolution:"), spin);

  adj = gimp_scale_entry_new (GTK_TABLE (table), 0, 3, _("_Strength:"),
                              200, 6, values->strength, 0.0, 2.0, 0.05, 0.25,
                              2, TRUE, 0, 0,
                              _("0 = gray, 1 = the model's colours, 2 = more "
                                "saturated"), NULL);
  g_signal_connect (adj, "value-changed", G_CALLBACK (strength_changed), &d);

  attach_row (table, 4, _("Colour _hints:"), hints_combo (drawable_id, values,
                                                           &d));

  radio = gimp_int_radio_group_new (TRUE, _("Output"),
                                    G_CALLBACK (gimp_radio_button_update),
                                    &values->output, values->output,
                                    _("_Replace the layer's pixels"),
                                    COLORIZE_OUTPUT_REPLACE, NULL,
                                    _("_New layer in LCh color mode"),
                                    COLORIZE_OUTPUT_NEW_LAYER, NULL,
                                    NULL);
  gtk_box_pack_start (GTK_BOX (vbox), radio, FALSE, FALSE, 0);

  gtk_widget_show_all (dialog);
  queue_preview (&d);

  ok = gimp_dialog_run (GIMP_DIALOG (dialog)) == GTK_RESPONSE_OK;

  if (d.idle_id)
    g_source_remove (d.idle_id);
  g_clear_pointer (&d.model, colorize_model_free);
  g_free (d.model_path);
  gtk_widget_destroy (dialog);
  return ok;
}
