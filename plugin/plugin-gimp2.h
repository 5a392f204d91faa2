/* plugin-gimp2.h: shared between the GIMP 2.10 plug-in's files. */
#ifndef PLUGIN_GIMP2_H
#define PLUGIN_GIMP2_H

#include <libgimp/gimp.h>

#include "colorize-host.h"

#define PLUG_IN_PROC   "plug-in-colorize-pix2pix"
/* The same with a ninth argument, the colour hints layer (2.10's PDB takes
 * a fixed argument count, so the documented 8-argument calls stay valid). */
#define PLUG_IN_PROC_HINTS "plug-in-colorize-pix2pix-hints"
/* The hints layer the dialog picks by default, when the image has one. */
#define HINTS_LAYER_NAME "Colour hints"
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
  gint32  hints;        /* colour hints layer, -1 = none */
} ColorizeValues;

/* The buffer of the hints layer `hints_id` for colorizing `drawable_id`
 * (NULL for -1) and the offset from hints to drawable pixels. */
void     colorize_hints_params (gint32          drawable_id,
                                gint32          hints_id,
                                ColorizeParams *params);

/* Shows the dialog; returns TRUE when the user pressed OK (values
 * updated), with *model the model its preview loaded for them, or NULL. */
gboolean colorize_dialog (gint32           drawable_id,
                          ColorizeValues  *values,
                          ColorizeModel  **model);

/* Colorizes `drawable_id` (or the selection) with `values` and `model`
 * (taken over; NULL = load values->model); the image changes only when
 * that succeeded (one undo step). FALSE + error otherwise, the image then
 * exactly as it was. */
gboolean colorize_apply  (gint32                image_id,
                          gint32                drawable_id,
                          const ColorizeValues *values,
                          ColorizeModel        *model,
                          GError              **error);

#endif /* PLUGIN_GIMP2_H */
