/* plugin-gimp3.h: shared between the GIMP 3.0 plug-in's files. */
#ifndef PLUGIN_GIMP3_H
#define PLUGIN_GIMP3_H

#include <libgimp/gimp.h>

#include "colorize-host.h"

#define PLUG_IN_PROC   "plug-in-colorize-pix2pix"
#define PLUG_IN_BINARY "gimp-colorize-pix2pix"
#define PLUG_IN_ROLE   "gimp-colorize-pix2pix"
/* The hints layer the dialog picks by default, when the image has one. */
#define HINTS_LAYER_NAME "Colour hints"

/* The dialog of the procedure's config, with a before/after preview of
 * `drawable`. Returns TRUE when the user pressed OK (config updated), with
 * *model the model its preview loaded for the config, or NULL. */
gboolean colorize_dialog (GimpProcedure       *procedure,
                          GimpProcedureConfig *config,
                          GimpDrawable        *drawable,
                          ColorizeModel      **model);

/* The "model-file" argument as a path for colorize_model_load: NULL for
 * the installed default model (g_free the result). */
gchar *  colorize_config_model_path (GimpProcedureConfig *config);

/* The config's "hints" layer as the hints of `params` for colorizing
 * `drawable` (NULL when none; unref params->hints afterwards). */
void     colorize_config_hints (GimpProcedureConfig *config,
                                GimpDrawable        *drawable,
                                ColorizeParams      *params);

/* Colorizes `drawable` (or the selection) with the config's values and
 * `model` (taken over; NULL = load the config's); the image changes only
 * when that succeeded (one undo step). FALSE + error otherwise, the image
 * then exactly as it was. */
gboolean colorize_apply (GimpImage           *image,
                         GimpDrawable        *drawable,
                         GimpProcedureConfig *config,
                         ColorizeModel       *model,
                         GError             **error);

#endif /* PLUGIN_GIMP3_H */
