/* colorize-dialog.h: the parts of the Colorize dialog that both GIMP
 * versions share, written once against the libgimpui and GTK API common to
 * GIMP 2.10 (GTK 2) and GIMP 3.0 (GTK 3):
 *
 *  - the before/after preview: the whole layer fitted, or 100 % with the
 *    mouse dragging the view; the model kept loaded between updates;
 *    the time each update took;
 *  - the model list: the models of the model search path by name and
 *    description, the default model, and "Other file…";
 *  - the working-resolution choices, "Model's own (128 px)" first.
 *
 * Each host's dialog file builds its window and its arguments around them.
 */
#ifndef COLORIZE_DIALOG_H
#define COLORIZE_DIALOG_H

#include <gtk/gtk.h>

#include "colorize-host.h"

G_BEGIN_DECLS

typedef struct _ColorizePreview ColorizePreview;

/* Asked by the preview before each update: returns a new reference to the
 * layer's buffer and fills the rest from the dialog's current arguments
 * (*model_path: a new string, NULL or "" = the default model;
 * params->hints: a new reference or NULL, released by the preview). */
typedef GeglBuffer * (* ColorizePreviewSource) (gpointer         data,
                                                gchar          **model_path,
                                                ColorizeDevice  *device,
                                                ColorizeParams  *params);

/* A new preview; `widget` is set to its box (before, after, zoom, status)
 * for the host to pack. `resolution_store`, when not NULL, is the
 * colorize_resolution_store_new() store whose first label follows the
 * loaded model. */
ColorizePreview * colorize_preview_new         (ColorizePreviewSource  source,
                                                gpointer               data,
                                                GtkListStore          *resolution_store,
                                                GtkWidget            **widget);
/* Updates after a short pause (several calls in a row update once). */
void              colorize_preview_queue       (ColorizePreview       *preview);
/* The model the preview loaded, when it was loaded from `path` (NULL or ""
 * = the default model) for `device`: handed to the caller (free it with
 * colorize_model_free), so that OK does not load it again; else NULL. */
ColorizeModel   * colorize_preview_take_model  (ColorizePreview       *preview,
                                                const gchar           *path,
                                                ColorizeDevice         device);
void              colorize_preview_free        (ColorizePreview       *preview);

/* The model list: a combo box with the default model, the models of the
 * model search path ("name — description") and "Other file…", which asks
 * for a file with a file chooser. Its "changed" signal is emitted with the
 * new choice, read with colorize_model_combo_get_path ("" = the default
 * model). */
GtkWidget       * colorize_model_combo_new     (const gchar           *path);
gchar           * colorize_model_combo_get_path (GtkWidget            *combo);
void              colorize_model_combo_set_path (GtkWidget            *combo,
                                                 const gchar          *path);

/* The working-resolution choices, a GimpIntStore for a GimpIntComboBox:
 * 0 = "Model's own", then 128 to 2048 px, plus `current` when it is none
 * of them. */
GtkListStore    * colorize_resolution_store_new (gint                  current);
/* Names the model's own resolution in the first choice ("Model's own
 * (128 px)"); 0 = not known yet. */
void              colorize_resolution_store_set_model_size (GtkListStore *store,
                                                            gint          size);

G_END_DECLS

#endif /* COLORIZE_DIALOG_H */
