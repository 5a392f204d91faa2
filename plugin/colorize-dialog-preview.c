/* colorize-dialog-preview.c: the dialog's before/after preview, shared by
 * both GIMP versions (see colorize-dialog.h). Only API that GTK 2 /
 * libgimpui 2.10 and GTK 3 / libgimpui 3.0 have in common is used here. */


#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <glib/gi18n-lib.h>

#include "colorize-dialog.h"

#define PREVIEW_SIZE 240

enum { ZOOM_FIT, ZOOM_FULL };

struct _ColorizePreview
{
  ColorizePreviewSource source;
  gpointer              data;
  GtkListStore         *resolution_store;
  GtkWidget            *before;
  GtkWidget            *after;
  GtkWidget            *status;
  gint                  zoom;
  ColorizeModel        *model;          /* kept between updates */
  gchar                *model_path;     /* what `model` was loaded from */
  ColorizeDevice        model_device;
  guint                 timeout_id;
  gdouble               cx, cy;         /* centre of the 100 % view, as a
                                         * fraction of the layer */
  gboolean              dragging;
  gdouble               drag_x, drag_y; /* pointer at the last motion */
  gint                  layer_w, layer_h;
};

static GtkWidget *
new_box (gboolean vertical, gint spacing)
{
#if GTK_CHECK_VERSION (3, 0, 0)
  return gtk_box_new (vertical ? GTK_ORIENTATION_VERTICAL
                               : GTK_ORIENTATION_HORIZONTAL, spacing);
#else
  return vertical ? gtk_vbox_new (FALSE, spacing)
                  : gtk_hbox_new (FALSE, spacing);
#endif
}

static void
show_pixels (GtkWidget *area, const guchar *pixels, gint w, gint h)
{
  gint x = (PREVIEW_SIZE - w) / 2, y = (PREVIEW_SIZE - h) / 2;

  gimp_preview_area_fill (GIMP_PREVIEW_AREA (area), 0, 0,
                          PREVIEW_SIZE, PREVIEW_SIZE, 128, 128, 128);
  if (pixels)
    gimp_preview_area_draw (GIMP_PREVIEW_AREA (area), x, y, w, h,
                            GIMP_RGBA_IMAGE, pixels, 4 * w);
}

/* The layer rectangle the 100 % view shows, the centre kept inside. */
static GeglRectangle
full_size_area (ColorizePreview *p, const GeglRectangle *extent)
{
  GeglRectangle area;

  area.width = MIN (PREVIEW_SIZE, extent->width);
  area.height = MIN (PREVIEW_SIZE, extent->height);
  area.x = extent->x + CLAMP ((gint) (p->cx * extent->width) - area.width / 2,
                              0, extent->width - area.width);
  area.y = extent->y + CLAMP ((gint) (p->cy * extent->height) - area.height / 2,
                              0, extent->height - area.height);
  p->cx = (area.x - extent->x + area.width / 2.0) / extent->width;
  p->cy = (area.y - extent->y + area.height / 2.0) / extent->height;
  return area;
}

/* Loads the model when the path or device changed; the load time in
 * *seconds (0 when the cached one is kept). */
static gboolean
ensure_model (ColorizePreview *p, const gchar *path, ColorizeDevice device,
              gdouble *seconds, GError **error)
{
  gint64 start;

  *seconds = 0;
  if (p->model && g_strcmp0 (p->model_path, path) == 0 &&
      p->model_device == device)
    return TRUE;
  g_clear_pointer (&p->model, colorize_model_free);
  g_free (p->model_path);
  p->model_path = g_strdup (path);
  p->model_device = device;
  gtk_label_set_text (GTK_LABEL (p->status),
                      _("Loading the colorization model"));
  while (gtk_events_pending ())
    gtk_main_iteration ();
  start = g_get_monotonic_time ();
  p->model = colorize_model_load (path, device, error);
  *seconds = (g_get_monotonic_time () - start) / 1e6;
  if (p->resolution_store)
    colorize_resolution_store_set_model_size (
      p->resolution_store, p->model ? colorize_model_input_size (p->model) : 0);
  return p->model != NULL;
}

static gchar *
status_text (ColorizePreview *p, gdouble seconds, gdouble load_seconds)
{
  gchar *name = g_path_get_basename (p->model_path && *p->model_path
                                     ? p->model_path
                                     : colorize_default_model_path ());
  const gchar *device = colorize_model_device_name (p->model);
  gchar *text = load_seconds > 0
    ? g_strdup_printf (_("Preview with %s on %s: %.2f s (loading the model "
                         "%.2f s)"), name, device, seconds, load_seconds)
    : g_strdup_printf (_("Preview with %s on %s: %.2f s"), name, device,
                       seconds);

  g_free (name);
  return text;
}

static gboolean
update (gpointer data)
{
  ColorizePreview *p = data;
  ColorizeParams   params = { 0 };
  ColorizeDevice   device = COLORIZE_DEVICE_AUTO;
  gchar           *path = NULL;
  GError          *error = NULL;
  guchar          *before = NULL, *after = NULL;
  GeglBuffer      *src;
  gint             w = 0, h = 0;
  gint64           start = g_get_monotonic_time ();
  gdouble          load_seconds;

  p->timeout_id = 0;
  src = p->source (p->data, &path, &device, &params);
  ensure_model (p, path, device, &load_seconds, &error);
  start += (gint64) (load_seconds * 1e6);
  if (p->zoom == ZOOM_FULL)
    {
      const GeglRectangle *extent = gegl_buffer_get_extent (src);
      GeglRectangle area = full_size_area (p, extent);

      p->layer_w = extent->width;
      p->layer_h = extent->height;
      w = area.width;
      h = area.height;
      if (p->model)
        colorize_preview_area (p->model, &params, src, &area, &before,
                               &after, &error);
    }
  /* fitted, or 100 % without a model: "before" only, and why not "after" */
  if (! before)
    colorize_preview (p->model, &params, src, PREVIEW_SIZE, &w, &h,
                      &before, &after, error ? NULL : &error);

  show_pixels (p->before, before, w, h);
  show_pixels (p->after, error ? NULL : after, w, h);
  if (error)
    {
      gtk_label_set_text (GTK_LABEL (p->status), error->message);
      g_error_free (error);
    }
  else if (after)
    {
      gchar *text = status_text (p, (g_get_monotonic_time () - start) / 1e6,
                                 load_seconds);

      gtk_label_set_text (GTK_LABEL (p->status), text);
      g_free (text);
    }
  g_object_unref (src);
  g_clear_object (&params.hints);
  g_free (path);
  g_free (before);
  g_free (after);
  return G_SOURCE_REMOVE;
}

void
colorize_preview_queue (ColorizePreview *p)
{
  if (! p->timeout_id)
    p->timeout_id = g_timeout_add (300, update, p);
}

static void
zoom_changed (GtkWidget *combo, ColorizePreview *p)
{
  gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (combo), &p->zoom);
  colorize_preview_queue (p);
}

static gboolean
button_event (GtkWidget *area G_GNUC_UNUSED, GdkEventButton *event,
              ColorizePreview *p)
{
  if (event->button != 1 || p->zoom != ZOOM_FULL)
    return FALSE;
  p->dragging = event->type == GDK_BUTTON_PRESS;
  p->drag_x = event->x;
  p->drag_y = event->y;
  return TRUE;
}

/* Dragging moves the 100 % view the other way, like a hand tool. */
static gboolean
motion_event (GtkWidget *area G_GNUC_UNUSED, GdkEventMotion *event,
              ColorizePreview *p)
{
  if (! p->dragging || p->layer_w <= 0 || p->layer_h <= 0)
    return FALSE;
  p->cx -= (event->x - p->drag_x) / p->layer_w;
  p->cy -= (event->y - p->drag_y) / p->layer_h;
  p->drag_x = event->x;
  p->drag_y = event->y;
  colorize_preview_queue (p);
  return TRUE;
}

static GtkWidget *
labelled_area (ColorizePreview *p, GtkWidget *box, const gchar *text)
{
  GtkWidget *vbox = new_box (TRUE, 2);
  GtkWidget *area = gimp_preview_area_new ();

  gtk_widget_set_size_request (area, PREVIEW_SIZE, PREVIEW_SIZE);
  gtk_widget_add_events (area, GDK_BUTTON_PRESS_MASK |
                               GDK_BUTTON_RELEASE_MASK |
                               GDK_BUTTON1_MOTION_MASK);
  g_signal_connect (area, "button-press-event", G_CALLBACK (button_event), p);
  g_signal_connect (area, "button-release-event", G_CALLBACK (button_event),
                    p);
  g_signal_connect (area, "motion-notify-event", G_CALLBACK (motion_event),
                    p);
  gtk_box_pack_start (GTK_BOX (vbox), area, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), gtk_label_new (text), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), vbox, FALSE, FALSE, 0);
  return area;
}

ColorizePreview *
colorize_preview_new (ColorizePreviewSource  source,
                      gpointer               data,
                      GtkListStore          *resolution_store,
                      GtkWidget            **widget)
{
  ColorizePreview *p = g_new0 (ColorizePreview, 1);
  GtkWidget *vbox = new_box (TRUE, 6), *hbox = new_box (FALSE, 12);
  GtkWidget *zoom_box = new_box (FALSE, 6), *label, *combo;

  p->source = source;
  p->data = data;
  p->resolution_store = resolution_store;
  p->cx = p->cy = 0.5;

  p->before = labelled_area (p, hbox, _("Before"));
  p->after  = labelled_area (p, hbox, _("After"));
  gtk_box_pack_start (GTK_BOX (vbox), hbox, FALSE, FALSE, 0);

  combo = gimp_int_combo_box_new (_("Whole layer"),               ZOOM_FIT,
                                  _("100 % (drag to move)"),       ZOOM_FULL,
                                  NULL);
  gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (combo), ZOOM_FIT);
  g_signal_connect (combo, "changed", G_CALLBACK (zoom_changed), p);
#if GTK_CHECK_VERSION (3, 0, 0)  /* GIMP 3.0's dialogs: labels without colons */
  label = gtk_label_new_with_mnemonic (_("_Zoom"));
#else
  label = gtk_label_new_with_mnemonic (_("_Zoom:"));
#endif
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), combo);
  gtk_box_pack_start (GTK_BOX (zoom_box), label, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (zoom_box), combo, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), zoom_box, FALSE, FALSE, 0);

  p->status = gtk_label_new ("");
  gtk_label_set_line_wrap (GTK_LABEL (p->status), TRUE);
#if GTK_CHECK_VERSION (3, 16, 0)
  gtk_label_set_xalign (GTK_LABEL (p->status), 0.0);
#else
  gtk_misc_set_alignment (GTK_MISC (p->status), 0.0, 0.5);
#endif
  gtk_box_pack_start (GTK_BOX (vbox), p->status, FALSE, FALSE, 0);
  *widget = vbox;
  return p;
}

ColorizeModel *
colorize_preview_take_model (ColorizePreview *p, const gchar *path,
                             ColorizeDevice device)
{
  ColorizeModel *model = NULL;

  if (p->model && p->model_device == device &&
      g_strcmp0 (p->model_path ? p->model_path : "", path ? path : "") == 0)
    {
      model = p->model;
      p->model = NULL;
    }
  return model;
}

void
colorize_preview_free (ColorizePreview *p)
{
  if (p->timeout_id)
    g_source_remove (p->timeout_id);
  g_clear_pointer (&p->model, colorize_model_free);
  g_free (p->model_path);
  g_free (p);
}
