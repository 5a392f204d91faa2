// See command_line.h.
#include "command_line.h"

#include <cmath>
#include <cstdio>

#include "colorize/model.h"
#include "colorize/model_path.h"
#include "image_check.h"
#include "progress.h"

namespace colorize::cli {
namespace {

/// printf format: the default pixel limit (%g megapixels), the largest
/// side, --resolution and --threads (%d each), the installed model folder
/// (%s).
constexpr const char *kDescription =
    "Colorizes black-and-white photos with a colorization model file.\n"
    "\n"
    "INPUT is an image file or a folder; for a folder, every image file\n"
    "directly inside it is done (not sub-folders; hidden files and earlier\n"
    "*-colorized.* results are skipped). Without --output each result is\n"
    "written beside its input as <name>-colorized.<ext>. An input is never\n"
    "overwritten unless --in-place is given. Results are written to a\n"
    "temporary file and renamed when complete; an output that is a symbolic\n"
    "link gets its target replaced and stays a link.\n"
    "\n"
    "The output keeps the input's format, size, bit depth (8/16-bit, float)\n"
    "and alpha where the format allows. JPEG to JPEG keeps the EXIF, ICC\n"
    "and XMP data and, without --quality, the input's compression; JPEG\n"
    "files are streamed, so their size is not limited by memory. The\n"
    "brightness (L) is kept; the model only adds colour.\n"
    "\n"
    "Limits: a picture may have at most --max-megapixels megapixels\n"
    "(default %g) and %d pixels a side; JPEG and PNG files are measured\n"
    "from their header before decoding, other formats once decoded (OpenCV\n"
    "itself refuses more than 2^30 pixels). A JPEG file with damaged data\n"
    "(truncated, or corrupt as libjpeg reports it) fails, whatever format\n"
    "it is written to, unless --accept-corrupt. --resolution may be at\n"
    "most %d, --threads at most %d. Running out of memory fails the file\n"
    "with one line (-v adds the full report).\n"
    "\n"
    "Models: --model takes a model file (a path with a '/', or an existing\n"
    "file ending in .pt) or the name of a model, i.e. NAME.pt in the model\n"
    "folders, searched in this order:\n"
    "  each folder of $COLORIZE_MODEL_PATH (separated by ':')\n"
    "  ~/.local/share/gimp-colorize/models, your own models (the folder\n"
    "      follows $XDG_DATA_HOME)\n"
    "  the installed models, %s\n"
    "Without --model, the model named colorize-default is used. The first\n"
    "folder holding a name wins. --list-models shows every model found.\n"
    "\n"
    "Exit status: 0 all done, 1 some file or the model failed (the others\n"
    "are still done; also when the model is not found), 2 usage error,\n"
    "130 interrupted: Ctrl+C stops at the next strip or within a second, a\n"
    "second Ctrl+C at once, never leaving a partial result.\n"
    "\n"
    "Examples:\n"
    "  colorize photo.jpg\n"
    "      writes photo-colorized.jpg with the default model\n"
    "  colorize --list-models\n"
    "      lists the models found by name, with their descriptions\n"
    "  colorize --model my-model --strength 1.3 --output out/ scans/\n"
    "      colorizes every image in scans/ into out/ with my-model.pt\n"
    "      from the model folders\n"
    "  colorize --model models/pix2pix.pt --output colour.png old.tif\n"
    "  colorize --model pix2pix.pt --in-place --device cpu a.png b.png\n";

/// The checks glib's parser cannot make; 0 when the values are usable.
int check_values(const Options &opt) {
  if (opt.list_models) {
    if (opt.inputs && opt.inputs[0])
      return usage_error("--list-models takes no INPUT");
    return 0;
  }
  if (!opt.inputs || !opt.inputs[0]) return usage_error("no INPUT given");
  // Written so that NaN, which compares false with everything, fails too.
  if (!(opt.strength >= 0.0 && opt.strength <= 2.0)) {
    char given[G_ASCII_DTOSTR_BUF_SIZE];
    return usage_error("--strength must be between 0 and 2, not " +
                       std::string(g_ascii_formatd(given, sizeof given, "%g",
                                                   opt.strength)));
  }
  if (opt.resolution < 0 || opt.resolution > kMaxResolution)
    return usage_error("--resolution must be between 1 and " +
                       std::to_string(kMaxResolution) +
                       " (0: the model's own), not " +
                       std::to_string(opt.resolution));
  if (opt.quality < 0 || opt.quality > 100)
    return usage_error("--quality must be between 1 and 100");
  if (opt.threads < 0 || opt.threads > kMaxThreads)
    return usage_error("--threads must be between 1 and " +
                       std::to_string(kMaxThreads) + " (0: all cores), not " +
                       std::to_string(opt.threads));
  // Beyond kMaxSide x kMaxSide the side limit decides alone.
  const double most = double(kMaxSide) * kMaxSide / 1e6;
  if (!(opt.max_megapixels > 0 && opt.max_megapixels <= std::ceil(most)))
    return usage_error("--max-megapixels must be more than 0 and at most " +
                       std::to_string(int(std::ceil(most))));
  if (!is_progress_choice(opt.progress))
    return usage_error("--progress must be auto, bar or plain, not " +
                       std::string(opt.progress));
  if (opt.in_place && opt.output)
    return usage_error("--in-place and --output cannot be used together");
  return 0;
}

}  // namespace

int usage_error(const std::string &message) {
  std::fprintf(stderr, "colorize: %s\nTry 'colorize --help'.\n",
               message.c_str());
  return kExitUsage;
}

int parse_options(int &argc, char **&argv, Options &opt) {
  opt.max_megapixels = kDefaultMaxMegapixels;
  const std::string resolution_help =
      "Working resolution (short side) of the model pass, at most " +
      std::to_string(kMaxResolution) + " [model's own]";
  const std::string threads_help =
      "CPU threads, at most " + std::to_string(kMaxThreads) + " [all cores]";
  const std::string max_mp_help =
      "Refuse pictures of more than N megapixels [" +
      std::to_string(int(kDefaultMaxMegapixels)) + "]";
  const GOptionEntry entries[] = {
      {"model", 'm', 0, G_OPTION_ARG_FILENAME, &opt.model,
       "Model file (.pt), or name of a model in the model folders "
       "[colorize-default]", "FILE|NAME"},
      {"list-models", 'l', 0, G_OPTION_ARG_NONE, &opt.list_models,
       "List the models found by name in the model folders, and exit",
       nullptr},
      {"device", 'd', 0, G_OPTION_ARG_STRING, &opt.device,
       "auto (GPU when available), cpu or cuda [auto]", "DEVICE"},
      {"resolution", 'r', 0, G_OPTION_ARG_INT, &opt.resolution,
       resolution_help.c_str(), "N"},
      {"strength", 's', 0, G_OPTION_ARG_DOUBLE, &opt.strength,
       "Colour strength: 0 = gray, 1 = model colours, up to 2 [1]", "S"},
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &opt.output,
       "Output file (one input) or folder (created when missing)",
       "FILE|DIR"},
      {"in-place", 'i', 0, G_OPTION_ARG_NONE, &opt.in_place,
       "Replace the input files with their results", nullptr},
      {"hints", 0, 0, G_OPTION_ARG_FILENAME, &opt.hints,
       "Colour hints for a hint model: an image of the input's size whose "
       "opaque pixels (alpha >= 128) give their colour to the photo there; "
       "for a folder of inputs, a folder of such images named like them",
       "FILE|DIR"},
      {"refine", 0, 0, G_OPTION_ARG_NONE, &opt.refine,
       "Edge-aware refinement of the colours guided by the brightness",
       nullptr},
      {"quality", 'q', 0, G_OPTION_ARG_INT, &opt.quality,
       "JPEG/WebP output quality, 1-100 [a JPEG input's own, else 92]",
       "Q"},
      {"threads", 't', 0, G_OPTION_ARG_INT, &opt.threads,
       threads_help.c_str(), "N"},
      {"max-megapixels", 0, 0, G_OPTION_ARG_DOUBLE, &opt.max_megapixels,
       max_mp_help.c_str(), "N"},
      {"accept-corrupt", 0, 0, G_OPTION_ARG_NONE, &opt.accept_corrupt,
       "Colorize JPEG files with damaged data anyway (libjpeg fills in "
       "what is missing; a warning names the file)", nullptr},
      {"progress", 0, 0, G_OPTION_ARG_STRING, &opt.progress,
       "Progress on stderr: bar (one line redrawn in place: file k of n, "
       "its phase, the time left), plain (a line per file) or auto (a bar "
       "on a terminal) [auto]", "auto|bar|plain"},
      {"verbose", 'v', 0, G_OPTION_ARG_NONE, &opt.verbose,
       "Print the model's device, the time of each phase and full error "
       "reports", nullptr},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt.inputs,
       nullptr, "INPUT..."},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};

  GOptionContext *context = g_option_context_new(nullptr);
  g_option_context_set_summary(context, "Colorize photos with a Pix2Pix model.");
  gchar *description = g_strdup_printf(
      kDescription, kDefaultMaxMegapixels, kMaxSide, kMaxResolution,
      kMaxThreads, installed_model_dir().c_str());
  g_option_context_set_description(context, description);
  g_free(description);
  g_option_context_add_main_entries(context, entries, nullptr);
  GError *error = nullptr;
  const bool parsed = g_option_context_parse(context, &argc, &argv, &error);
  g_option_context_free(context);
  if (!parsed) {
    const std::string message = error->message;
    g_error_free(error);
    return usage_error(message);
  }
  return check_values(opt);
}

}  // namespace colorize::cli
