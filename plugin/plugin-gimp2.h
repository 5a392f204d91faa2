/* plugin-gimp2.h: shared between the GIMP 2.10 plug-in's files. */
#ifndef PLUGIN_GIMP2_H
#define PLUGIN_GIMP2_H

#include <libgimp/gimp.h>

#include "colorize-host.h"

#define PLUG_IN_PROC   "plug-in-colorize-pix2pix"
#define PLUG_IN_BINARY "gimp-colorize-pix2pix"
#define PLUG_IN_ROLE   "gimp-colorize-pix2pix"

/* The procedure's arguments after run-mode, image and drawable; stored
 * with gimp_set_data as the last values. */
typedef struct
{
  gchar   model[1024];  /* "" = the installed default model */
  gint32  device;       /* ColorizeDevice  */
  gint32  resolution;   /* 0 = the model's */
  gdouble strength;     /* 0..2            */
  gint32  output;       /* ColorizeOutput  */
} ColorizeValues;

/* Shows the dialog; returns TRUE when the user pressed OK (values updated). */
gboolean colorize_dialog (gint32          drawable_id,
                          ColorizeValues *values);

/* Colorizes `drawable_id` (or the selection) with `values`; the image
 * changes only when that succeeded (one undo step). FALSE + error
 * otherwise, the image then exactly as it was. */
gboolean colorize_apply  (gint32                image_id,
                          gint32                drawable_id,
                          const ColorizeValues *values,
                          GError              **error);

#endif /* PLUGIN_GIMP2_H */
