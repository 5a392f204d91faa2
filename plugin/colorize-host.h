/* colorize-host.h: the host-independent half of the GIMP plug-in.
 *
 * GEGL buffers <-> colorize core, in strips: the inference phase reads a
 * downscaled copy of the source through GEGL's scale argument, the apply
 * phase walks the full-resolution rows in strips, so memory stays bounded
 * for any layer size. Knows nothing about libgimp: each GIMP version has a
 * thin file of its own (registration, arguments, dialog) that calls this.
 *
 * A C facade over C++ (the core throws exceptions; they never cross this
 * header): errors come back as GError in the COLORIZE_HOST_ERROR domain with
 * a translated message that names the file or value at fault.
 */
#ifndef COLORIZE_HOST_H
#define COLORIZE_HOST_H

#include <gegl.h>

G_BEGIN_DECLS

typedef enum
{
  COLORIZE_DEVICE_AUTO = 0,
  COLORIZE_DEVICE_CPU  = 1,
  COLORIZE_DEVICE_CUDA = 2
} ColorizeDevice;

typedef enum
{
  COLORIZE_OUTPUT_REPLACE   = 0,  /* write the colours into the layer     */
  COLORIZE_OUTPUT_NEW_LAYER = 1   /* a new layer above, LCh-color mode    */
} ColorizeOutput;

#define COLORIZE_HOST_ERROR (colorize_host_error_quark ())

typedef enum
{
  COLORIZE_HOST_ERROR_MODEL,      /* bad model file, failed model pass    */
  COLORIZE_HOST_ERROR_DEVICE,     /* device unavailable (e.g. no CUDA)    */
  COLORIZE_HOST_ERROR_IMAGE,      /* pixel format the core cannot handle  */
  COLORIZE_HOST_ERROR_CANCELLED,  /* the progress callback said stop      */
  COLORIZE_HOST_ERROR_FAILED      /* anything else (out of memory, ...)   */
} ColorizeHostErrorCode;

GQuark colorize_host_error_quark (void);

/* The largest working resolution the core accepts (its kMaxResolution):
 * the upper bound of the plug-in's resolution argument and spin button. */
gint   colorize_max_resolution   (void);

/* Opaque loaded model (TorchScript module + metadata + device). */
typedef struct _ColorizeModel ColorizeModel;

/* Parameters of one colorization. */
typedef struct
{
  gint    resolution;  /* working resolution, 0 = the model's own, at most
                        * colorize_max_resolution ()                      */
  gdouble strength;    /* 0 = gray, 1 = model colours, up to 2            */
  GeglBuffer *hints;   /* colour hints for a hint model, NULL = none: a
                        * buffer with alpha whose opaque pixels (alpha at
                        * least half) ask for their colour there          */
  gint    hints_dx;    /* hints pixel (x, y) lies over source pixel       */
  gint    hints_dy;    /* (x + hints_dx, y + hints_dy)                    */
} ColorizeParams;


/* Fraction done in [0,1]; return FALSE to cancel. */
typedef gboolean (* ColorizeProgressFunc) (gdouble  fraction,
                                           gpointer user_data);

/* [in] dir: the folder the plug-in was started from (dirname of argv[0]);
 * a default model in dir/models/ (per-user installs) wins over the
 * model search path. Call once at start-up. */
void            colorize_set_plugin_dir     (const gchar     *dir);

/* The default model: dir/models/colorize-default.pt beside the plug-in
 * when present, else colorize-default.pt in the model search path
 * ($COLORIZE_MODEL_PATH, the user's data folder, the installed models; see
 * colorize/model_path.h), else the installed path (which then does not
 * exist). Looked up once; owned by the plug-in. */
const gchar   * colorize_default_model_path (void);

/* The plug-in process's resource settings, made once by each host after
 * gegl_init(): LibTorch and OpenCV use every core and put their large
 * blocks on huge pages (colorize/memory.h), and GEGL's tile cache
 * is capped at 256 MB (GIMP hands plug-ins its own setting, half the RAM
 * by default, which would keep the whole layer and its shadow in the
 * plug-in too; capped, a 24 MP layer still fits entirely). */
void            colorize_host_setup         (void);

/* Starts loading LibTorch on another thread, so that it is ready or nearly
 * so when the dialog or a non-interactive run loads the model
 * (colorize::preload_model_runtime()). Called as a run starts. */
void            colorize_host_preload       (void);

/* [in] path: model file, NULL or "" = colorize_default_model_path().
 * Returns a new model (free with colorize_model_free) or NULL + error. */
ColorizeModel * colorize_model_load         (const gchar     *path,
                                             ColorizeDevice   device,
                                             GError         **error);
void            colorize_model_free         (ColorizeModel   *model);

/* Which drawables the plug-in colorizes, the same in every host: layers,
 * not layer groups, not indexed. FALSE + COLORIZE_HOST_ERROR_IMAGE with
 * the message saying why otherwise. */
gboolean        colorize_check_drawable     (gboolean         is_layer,
                                             gboolean         is_group,
                                             gboolean         is_indexed,
                                             GError         **error);

/* A new buffer covering `roi` for colorize_buffer's result from `src`:
 * R'G'B' (with alpha when `alpha`) at src's precision, in src's colour
 * space; for a gray `src` in no space of its own (sRGB): the gray layer's
 * Y' values are kept as they are, so the host converts a gray image to
 * RGB after dropping its color profile (GIMP would otherwise convert the
 * values from the profile's TRC, e.g. the gamma 2.2 GIMP 3.0 makes of a
 * PNG's gAMA chunk, and the lightness would change where an RGB copy's
 * does not). The host colorizes into this buffer first and changes the
 * image (gray to RGB, shadow buffer, new layer) only once that succeeded,
 * so a failure leaves the image as it was. */
GeglBuffer    * colorize_result_buffer      (GeglBuffer          *src,
                                             const GeglRectangle *roi,
                                             gboolean             alpha);
/* "cpu" or "cuda:N"; owned by the model. */
const gchar   * colorize_model_device_name  (ColorizeModel   *model);
/* The model's own working resolution (input_size of its colorize.json):
 * what resolution 0 means. */
gint            colorize_model_input_size   (ColorizeModel   *model);

/* One model file of the model search path. */
typedef struct
{
  gchar *name;         /* file name without ".pt"                         */
  gchar *path;
  gchar *description;  /* its colorize.json's description, or ""         */
} ColorizeModelEntry;

/* The models of the model search path whose metadata can be read, as
 * `colorize --list-models` lists them (networks neither loaded nor run):
 * a new array of ColorizeModelEntry, freed with g_ptr_array_unref. */
GPtrArray     * colorize_list_models        (void);

/* Colorizes the rectangle `roi` (buffer coordinates) of `src` into `dst`.
 * The colours are inferred from the whole extent of `src`; only the rows
 * and columns of `roi` are written, in strips of `strip_rows` rows (0 =
 * default). `dst` is written in its own format's colour model but at
 * `src`'s precision; alpha is copied from `src`.
 * [in] mask: optional (NULL = none): its "Y float" value at
 *      (x + mask_dx, y + mask_dy) multiplies the alpha written to `dst`
 *      (used for a new layer; a shadow buffer is masked by the host).
 * Nothing is written when loading pixels fails before the first strip;
 * on cancel or error `dst` may hold some strips and must be discarded. */
gboolean        colorize_buffer             (ColorizeModel        *model,
                                             const ColorizeParams *params,
                                             GeglBuffer           *src,
                                             const GeglRectangle  *roi,
                                             GeglBuffer           *dst,
                                             GeglBuffer           *mask,
                                             gint                  mask_dx,
                                             gint                  mask_dy,
                                             gint                  strip_rows,
                                             ColorizeProgressFunc  progress,
                                             gpointer              user_data,
                                             GError              **error);

/* Before/after preview of the whole of `src`, scaled to fit max_size x
 * max_size. On success *before and *after are new R'G'B'A u8 pixel arrays
 * (g_free them) of *width x *height, rowstride 4 * *width. With model NULL
 * only *before is made (*after = NULL). */
gboolean        colorize_preview            (ColorizeModel        *model,
                                             const ColorizeParams *params,
                                             GeglBuffer           *src,
                                             gint                  max_size,
                                             gint                 *width,
                                             gint                 *height,
                                             guchar              **before,
                                             guchar              **after,
                                             GError              **error);

/* Before/after of the rectangle `area` of `src` at 100 %: the colours are
 * inferred from the whole of `src` as colorize_buffer does, then applied
 * to the area only. On success *before and *after are new R'G'B'A u8
 * pixel arrays of area->width x area->height (g_free them); `area` must
 * lie inside src's extent. */
gboolean        colorize_preview_area       (ColorizeModel        *model,
                                             const ColorizeParams *params,
                                             GeglBuffer           *src,
                                             const GeglRectangle  *area,
                                             guchar              **before,
                                             guchar              **after,
                                             GError              **error);

G_END_DECLS

#endif /* COLORIZE_HOST_H */
