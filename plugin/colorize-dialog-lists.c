/* colorize-dialog-lists.c: the dialog's model list and working-resolution
 * choices, shared by both GIMP versions (see colorize-dialog.h). Only API
 * that GTK 2 / libgimpui 2.10 and GTK 3 / libgimpui 3.0 have in common is
 * used here. */

#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <glib/gi18n-lib.h>

#include "colorize-dialog.h"

#define MODEL_OTHER  (-1)   /* the model list's "Other file…" row */

/* The combo's paths by row value: 0 = "" (the default model). */
static GPtrArray *
model_paths (GtkWidget *combo)
{
  return g_object_get_data (G_OBJECT (combo), "colorize-model-paths");
}

static gint
add_model_row (GtkWidget *combo, const gchar *path, const gchar *label)
{
  GPtrArray    *paths = model_paths (combo);
  GtkTreeModel *store = gtk_combo_box_get_model (GTK_COMBO_BOX (combo));
  GtkTreeIter   iter;
  gint          value = paths->len;

  g_ptr_array_add (paths, g_strdup (path));
  /* before "Other file…", which stays last */
  gtk_tree_model_iter_nth_child (store, &iter, NULL,
                                 gtk_tree_model_iter_n_children (store, NULL) - 1);
  gtk_list_store_insert_before (GTK_LIST_STORE (store), &iter, &iter);
  gtk_list_store_set (GTK_LIST_STORE (store), &iter,
                      GIMP_INT_STORE_VALUE, value,
                      GIMP_INT_STORE_LABEL, label, -1);
  return value;
}

static gchar *
ask_for_model_file (GtkWidget *combo)
{
  GtkWidget     *toplevel = gtk_widget_get_toplevel (combo);
  GtkWidget     *chooser;
  GtkFileFilter *filter;
  gchar         *path = NULL;

  chooser = gtk_file_chooser_dialog_new (_("Select a model file"),
                                         GTK_IS_WINDOW (toplevel)
                                         ? GTK_WINDOW (toplevel) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Cancel"), GTK_RESPONSE_CANCEL,
                                         _("_Open"),   GTK_RESPONSE_ACCEPT,
                                         NULL);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("TorchScript models (*.pt)"));
  gtk_file_filter_add_pattern (filter, "*.pt");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("All files"));
  gtk_file_filter_add_pattern (filter, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  if (gtk_dialog_run (GTK_DIALOG (chooser)) == GTK_RESPONSE_ACCEPT)
    path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));
  gtk_widget_destroy (chooser);
  return path;
}

/* "Other file…": ask, then show the file as a row of its own (or go back
 * to the previous choice when the chooser was cancelled). */
static void
model_combo_changed (GtkWidget *combo, gpointer data G_GNUC_UNUSED)
{
  gint   value, previous;
  gchar *path;

  gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (combo), &value);
  previous = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (combo),
                                                 "colorize-model-previous"));
  if (value != MODEL_OTHER)
    {
      g_object_set_data (G_OBJECT (combo), "colorize-model-previous",
                         GINT_TO_POINTER (value));
      return;
    }
  path = ask_for_model_file (combo);
  if (path)
    colorize_model_combo_set_path (combo, path);
  else
    gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (combo), previous);
  g_free (path);
}

GtkWidget *
colorize_model_combo_new (const gchar *path)
{
  GPtrArray    *models = colorize_list_models ();
  GPtrArray    *paths = g_ptr_array_new_with_free_func (g_free);
  const gchar  *default_path = colorize_default_model_path ();
  GtkListStore *store = g_object_new (GIMP_TYPE_INT_STORE, NULL);
  GtkWidget    *combo;
  GtkTreeIter   iter;
  gchar        *name = g_path_get_basename (default_path);
  gchar        *label;
  guint         i;

  if (g_str_has_suffix (name, ".pt"))
    name[strlen (name) - 3] = '\0';
  label = g_strdup_printf (_("Default model (%s)"), name);
  gtk_list_store_append (store, &iter);
  gtk_list_store_set (store, &iter, GIMP_INT_STORE_VALUE, 0,
                      GIMP_INT_STORE_LABEL, label, -1);
  g_ptr_array_add (paths, g_strdup (""));
  gtk_list_store_append (store, &iter);
  gtk_list_store_set (store, &iter, GIMP_INT_STORE_VALUE, MODEL_OTHER,
                      GIMP_INT_STORE_LABEL, _("Other file…"), -1);
  combo = g_object_new (GIMP_TYPE_INT_COMBO_BOX, "model", store,
                        "ellipsize", PANGO_ELLIPSIZE_END, NULL);
  g_object_unref (store);
  g_object_set_data_full (G_OBJECT (combo), "colorize-model-paths", paths,
                          (GDestroyNotify) g_ptr_array_unref);
  gtk_widget_set_size_request (combo, 320, -1);

  for (i = 0; i < models->len; i++)
    {
      ColorizeModelEntry *entry = g_ptr_array_index (models, i);
      gchar *row;

      if (g_strcmp0 (entry->path, default_path) == 0)
        continue;
      row = *entry->description
            ? g_strdup_printf ("%s — %s", entry->name, entry->description)
            : g_strdup (entry->name);
      add_model_row (combo, entry->path, row);
      g_free (row);
    }
  colorize_model_combo_set_path (combo, path);
  g_signal_connect (combo, "changed", G_CALLBACK (model_combo_changed), NULL);
  g_ptr_array_unref (models);
  g_free (label);
  g_free (name);
  return combo;
}

gchar *
colorize_model_combo_get_path (GtkWidget *combo)
{
  GPtrArray *paths = model_paths (combo);
  gint       value = 0;

  gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (combo), &value);
  if (value < 0 || (guint) value >= paths->len)
    value = 0;
  return g_strdup (g_ptr_array_index (paths, value));
}

void
colorize_model_combo_set_path (GtkWidget *combo, const gchar *path)
{
  GPtrArray *paths = model_paths (combo);
  gint       value = 0;
  guint      i;

  if (path && *path && g_strcmp0 (path, colorize_default_model_path ()) != 0)
    {
      for (i = 1; i < paths->len && ! value; i++)
        if (g_strcmp0 (g_ptr_array_index (paths, i), path) == 0)
          value = i;
      if (! value)
        {
          gchar *name = g_filename_display_basename (path);

          value = add_model_row (combo, path, name);
          g_free (name);
        }
    }
  g_object_set_data (G_OBJECT (combo), "colorize-model-previous",
                     GINT_TO_POINTER (value));
  gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (combo), value);
}

/* ---- working resolutions ------------------------------------------------ */

static const gint resolutions[] = { 128, 192, 256, 384, 512, 768, 1024,
                                    1536, 2048 };

GtkListStore *
colorize_resolution_store_new (gint current)
{
  GtkListStore *store = g_object_new (GIMP_TYPE_INT_STORE, NULL);
  gboolean      listed = current == 0;
  GtkTreeIter   iter;
  guint         i;

  gtk_list_store_append (store, &iter);
  gtk_list_store_set (store, &iter, GIMP_INT_STORE_VALUE, 0,
                      GIMP_INT_STORE_LABEL, _("Model's own"), -1);
  for (i = 0; i < G_N_ELEMENTS (resolutions); i++)
    {
      gint   value = resolutions[i];
      gchar *label;

      if (! listed && current < value)
        {
          value = current;
          i--;
        }
      listed |= value == current;
      if (value > colorize_max_resolution ())
        break;
      label = g_strdup_printf (_("%d px"), value);
      gtk_list_store_append (store, &iter);
      gtk_list_store_set (store, &iter, GIMP_INT_STORE_VALUE, value,
                          GIMP_INT_STORE_LABEL, label, -1);
      g_free (label);
    }
  if (! listed && current <= colorize_max_resolution ())
    {
      gchar *label = g_strdup_printf (_("%d px"), current);

      gtk_list_store_append (store, &iter);
      gtk_list_store_set (store, &iter, GIMP_INT_STORE_VALUE, current,
                          GIMP_INT_STORE_LABEL, label, -1);
      g_free (label);
    }
  return store;
}

void
colorize_resolution_store_set_model_size (GtkListStore *store, gint size)
{
  GtkTreeIter iter;
  gchar      *label;

  if (! gimp_int_store_lookup_by_value (GTK_TREE_MODEL (store), 0, &iter))
    return;
  label = size > 0 ? g_strdup_printf (_("Model's own (%d px)"), size)
                   : g_strdup (_("Model's own"));
  gtk_list_store_set (store, &iter, GIMP_INT_STORE_LABEL, label, -1);
  g_free (label);
}
