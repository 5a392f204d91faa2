/* plugin-gimp2-dialog.c: the GIMP 2.10 (GTK 2) dialog of Colorize
 * (Pix2Pix): the shared preview and model list (colorize-dialog.h) above
 * the arguments: model, device, working resolution, strength, colour
 * hints, output. */

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <glib/gi18n-lib.h>

#include "colorize-dialog.h"
#include "plugin-gimp2.h"

typedef struct
{
  ColorizeValues  *values;
  gint32           drawable_id;
  ColorizePreview *preview;
} Dialog;

static GeglBuffer *
preview_source (gpointer         data,
                gchar          **model_path,
                ColorizeDevice  *device,
                ColorizeParams  *params)
{
  Dialog *d = data;

  *model_path = g_strdup (d->values->model);
  *device = d->values->device;
  params->resolution = d->values->resolution;
  params->strength = d->values->strength;
  colorize_hints_params (d->drawable_id, d->values->hints, params);
  return gimp_drawable_get_buffer (d->drawable_id);
}

static void
model_changed (GtkWidget *combo, Dialog *d)
{
  gchar *path = colorize_model_combo_get_path (combo);

  g_strlcpy (d->values->model, path, sizeof (d->values->model));
  g_free (path);
  colorize_preview_queue (d->preview);
}

static void
int_changed (GtkWidget *combo, gint *value)
{
  Dialog *d = g_object_get_data (G_OBJECT (combo), "colorize-dialog");

  gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (combo), value);
  colorize_preview_queue (d->preview);
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
  g_object_set_data (G_OBJECT (combo), "colorize-dialog", d);
  g_signal_connect (combo, "changed", G_CALLBACK (int_changed),
                    &values->hints);
  return combo;
}

static void
strength_changed (GtkAdjustment *adj, Dialog *d)
{
  d->values->strength = gtk_adjustment_get_value (adj);
  colorize_preview_queue (d->preview);
}

static void
attach_row (GtkWidget *table, gint row, const gchar *label, GtkWidget *w)
{
  gimp_table_attach_aligned (GTK_TABLE (table), 0, row, label, 0.0, 0.5,
                             w, 2, FALSE);
}

/* A combo box of ints that updates *value and the preview. */
static GtkWidget *
int_combo (GtkWidget *combo, gint *value, Dialog *d)
{
  gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (combo), *value);
  g_object_set_data (G_OBJECT (combo), "colorize-dialog", d);
  g_signal_connect (combo, "changed", G_CALLBACK (int_changed), value);
  return combo;
}

gboolean
colorize_dialog (gint32 drawable_id, ColorizeValues *values,
                 ColorizeModel **model)
{
  Dialog        d = { 0 };
  GtkWidget    *dialog, *vbox, *table, *combo, *preview, *radio;
  GtkListStore *resolutions;
  GtkObject    *adj;
  gchar        *tip;
  gboolean      ok;

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

  resolutions = colorize_resolution_store_new (values->resolution);
  d.preview = colorize_preview_new (preview_source, &d, resolutions, &preview);
  gtk_box_pack_start (GTK_BOX (vbox), preview, FALSE, FALSE, 0);

  table = gtk_table_new (5, 3, FALSE);
  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_table_set_row_spacings (GTK_TABLE (table), 6);
  gtk_box_pack_start (GTK_BOX (vbox), table, FALSE, FALSE, 0);

  /* the default model, the models found by name, or any file */
  combo = colorize_model_combo_new (values->model);
  tip = g_strdup_printf (_("The models of the model search path, or any "
                           "TorchScript model file (.pt). The default model "
                           "is %s"), colorize_default_model_path ());
  gimp_help_set_help_data (combo, tip, NULL);
  g_free (tip);
  g_signal_connect (combo, "changed", G_CALLBACK (model_changed), &d);
  attach_row (table, 0, _("_Model:"), combo);

  combo = gimp_int_combo_box_new (_("Automatic"),  COLORIZE_DEVICE_AUTO,
                                  _("CPU"),        COLORIZE_DEVICE_CPU,
                                  _("CUDA (GPU)"), COLORIZE_DEVICE_CUDA,
                                  NULL);
  attach_row (table, 1, _("_Device:"), int_combo (combo, &values->device, &d));

  combo = g_object_new (GIMP_TYPE_INT_COMBO_BOX, "model", resolutions, NULL);
  g_object_unref (resolutions);
  gimp_help_set_help_data (combo, _("Size of the short side the network "
                                    "works at: higher shows finer colour "
                                    "detail and takes longer"), NULL);
  attach_row (table, 2, _("_Resolution:"),
              int_combo (combo, &values->resolution, &d));

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
  colorize_preview_queue (d.preview);

  ok = gimp_dialog_run (GIMP_DIALOG (dialog)) == GTK_RESPONSE_OK;

  *model = ok ? colorize_preview_take_model (d.preview, values->model,
                                             values->device)
              : NULL;
  colorize_preview_free (d.preview);
  gtk_widget_destroy (dialog);
  return ok;
}
