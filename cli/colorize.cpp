// colorize: colorizes photos from the command line with a model file, using
// the same core as the GIMP plug-in. See `colorize --help`.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cerrno>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <glib.h>
#include <malloc.h>
#include <opencv2/core.hpp>
#include <unistd.h>

#include "colorize/error.h"
#include "colorize/model.h"
#include "colorize/model_path.h"
#include "image_job.h"
#include "inputs.h"

namespace {

constexpr int kExitFailed = 1;        ///< a file or the model failed
constexpr int kExitUsage = 2;         ///< bad command line
constexpr int kExitInterrupted = 130; ///< SIGINT / SIGTERM

volatile std::sig_atomic_t interrupted = 0;
void on_signal(int) { interrupted = 1; }

/// printf format; %s: the installed model folder.
constexpr const char *kDescription =
    "Colorizes black-and-white photos with a colorization model file.\n"
    "\n"
    "INPUT is an image file or a folder; for a folder, every image file\n"
    "directly inside it is done (not sub-folders; hidden files and earlier\n"
    "*-colorized.* results are skipped). Without --output each result is\n"
    "written beside its input as <name>-colorized.<ext>. An input is never\n"
    "overwritten unless --in-place is given. Results are written to a\n"
    "temporary file and renamed when complete.\n"
    "\n"
    "The output keeps the input's format, size, bit depth (8/16-bit, float)\n"
    "and alpha where the format allows. JPEG to JPEG keeps the EXIF, ICC\n"
    "and XMP data and, without --quality, the input's compression; JPEG\n"
    "files are streamed, so their size is not limited by memory. The\n"
    "brightness (L) is kept; the model only adds colour.\n"
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
    "130 interrupted.\n"
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

struct Options {
  gchar *model = nullptr;
  gchar *device = nullptr;
  gchar *output = nullptr;
  gint resolution = 0;
  gdouble strength = 1.0;
  gboolean in_place = FALSE;
  gboolean refine = FALSE;
  gint quality = 0;  ///< 0: a JPEG input's own, else 92
  gint threads = 0;
  gboolean verbose = FALSE;
  gboolean list_models = FALSE;
  gchar **inputs = nullptr;

  Options() = default;
  Options(const Options &) = delete;
  Options &operator=(const Options &) = delete;
  ~Options() {
    g_free(model);
    g_free(device);
    g_free(output);
    g_strfreev(inputs);
  }
};

/// Writes `text` with every line after the first indented by `indent`.
void print_indented(const std::string &text, const char *indent) {
  for (char c : text) {
    std::fputc(c, stdout);
    if (c == '\n') std::fputs(indent, stdout);
  }
  std::fputc('\n', stdout);
}

/// --list-models: one block per model of the search path, then the folders.
int print_model_list() {
  using namespace colorize;
  const std::vector<std::string> folders = model_search_path();
  const std::vector<ModelEntry> models = colorize::list_models(folders);
  constexpr const char *kIndent = "                ";
  for (const ModelEntry &m : models) {
    std::printf("%s%s\n", m.name.c_str(),
                m.name == default_model_name() ? " (default)" : "");
    if (m.info) {
      const ModelInfo &info = *m.info;
      if (!info.name.empty()) std::printf("  name:         %s\n", info.name.c_str());
      std::printf("  description:  ");
      print_indented(info.description.empty() ? "(none)" : info.description,
                     kIndent);
      std::printf("  colour space: %s\n", to_string(info.color_space));
      std::printf("  resolution:   %d px (short side)\n", info.input_size);
      std::printf("  licence:      %s\n",
                  info.license.empty() ? "(not given)" : info.license.c_str());
    } else {
      std::printf("  error:        ");
      print_indented(m.error, kIndent);
    }
    std::printf("  path:         %s\n\n", m.path.c_str());
  }
  if (models.empty())
    std::printf("No model files (*%s) found.\n", kModelSuffix);
  std::printf("Model folders searched, in order:\n");
  for (const auto &folder : folders)
    std::printf("  %s%s\n", folder.c_str(),
                g_file_test(folder.c_str(), G_FILE_TEST_IS_DIR)
                    ? "" : " (does not exist)");
  return 0;
}

int usage_error(const std::string &message) {
  std::fprintf(stderr, "colorize: %s\nTry 'colorize --help'.\n",
               message.c_str());
  return kExitUsage;
}

/// One progress line for all files: rewritten with \r on a terminal, plain
/// lines (one per file) otherwise. Errors go on lines of their own.
class Reporter {
 public:
  explicit Reporter(size_t total)
      : tty_(isatty(STDERR_FILENO) == 1), total_(total) {}

  void start(size_t index, const std::string &input) {
    current_ = "[" + std::to_string(index + 1) + "/" +
               std::to_string(total_) + "] " + input;
    percent_ = -1;
    if (tty_)
      show(0.0);
    else
      std::fprintf(stderr, "%s\n", current_.c_str());
  }
  void show(double fraction) {
    const int percent = int(fraction * 100.0);
    if (!tty_ || percent == percent_) return;
    percent_ = percent;
    std::fprintf(stderr, "\r\033[K%s %3d%%", current_.c_str(), percent);
    std::fflush(stderr);
  }
  void fail(const std::string &input, const std::string &reason) {
    clear();
    std::fprintf(stderr, "%s: %s\n", input.c_str(), reason.c_str());
  }
  void clear() {
    if (tty_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool tty_;
  size_t total_;
  std::string current_;
  int percent_ = -1;
};

}  // namespace

int main(int argc, char **argv) {
  using namespace colorize;
  Options opt;
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
       "Working resolution (short side) of the model pass [model's own]", "N"},
      {"strength", 's', 0, G_OPTION_ARG_DOUBLE, &opt.strength,
       "Colour strength: 0 = gray, 1 = model colours, up to 2 [1]", "S"},
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &opt.output,
       "Output file (one input) or folder (created when missing)",
       "FILE|DIR"},
      {"in-place", 'i', 0, G_OPTION_ARG_NONE, &opt.in_place,
       "Replace the input files with their results", nullptr},
      {"refine", 0, 0, G_OPTION_ARG_NONE, &opt.refine,
       "Edge-aware refinement of the colours guided by the brightness",
       nullptr},
      {"quality", 'q', 0, G_OPTION_ARG_INT, &opt.quality,
       "JPEG/WebP output quality, 1-100 [a JPEG input's own, else 92]",
       "Q"},
      {"threads", 't', 0, G_OPTION_ARG_INT, &opt.threads,
       "CPU threads [all cores]", "N"},
      {"verbose", 'v', 0, G_OPTION_ARG_NONE, &opt.verbose,
       "Print the model's device and the time of each phase", nullptr},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt.inputs,
       nullptr, "INPUT..."},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};

  GOptionContext *context = g_option_context_new(nullptr);
  g_option_context_set_summary(context, "Colorize photos with a Pix2Pix model.");
  gchar *description =
      g_strdup_printf(kDescription, installed_model_dir().c_str());
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

  if (opt.list_models) {
    if (opt.inputs && opt.inputs[0])
      return usage_error("--list-models takes no INPUT");
    return print_model_list();
  }
  if (!opt.inputs || !opt.inputs[0]) return usage_error("no INPUT given");
  if (opt.strength < 0.0 || opt.strength > 2.0)
    return usage_error("--strength must be between 0 and 2, not " +
                       std::to_string(opt.strength));
  if (opt.resolution < 0)
    return usage_error("--resolution must be positive");
  if (opt.quality < 0 || opt.quality > 100)
    return usage_error("--quality must be between 1 and 100");
  if (opt.threads < 0) return usage_error("--threads must be positive");
  if (opt.in_place && opt.output)
    return usage_error("--in-place and --output cannot be used together");
  LoadOptions load;
  load.threads = opt.threads;
  try {
    load.device = parse_device(opt.device ? opt.device : "auto");
  } catch (const Error &e) {
    return usage_error(e.what());
  }

  std::vector<std::string> args;
  bool any_folder = false;
  for (gchar **p = opt.inputs; *p; ++p) {
    args.push_back(*p);
    any_folder |= g_file_test(*p, G_FILE_TEST_IS_DIR) != 0;
  }
  std::vector<cli::Task> tasks = cli::expand_inputs(args);

  cli::Destination dest;
  dest.in_place = opt.in_place;
  if (opt.output) {
    dest.output = opt.output;
    dest.output_is_dir = g_file_test(opt.output, G_FILE_TEST_IS_DIR) ||
                         g_str_has_suffix(opt.output, G_DIR_SEPARATOR_S) ||
                         args.size() > 1 || any_folder;
    if (dest.output_is_dir && g_mkdir_with_parents(opt.output, 0777) != 0) {
      std::fprintf(stderr, "colorize: cannot create the folder %s: %s\n",
                   opt.output, g_strerror(errno));
      return kExitFailed;
    }
  }
  cli::assign_outputs(tasks, dest);

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (opt.threads > 0) cv::setNumThreads(opt.threads);

  // Found and loaded once for all files.
  std::optional<Model> model;
  std::string model_path;
  const auto load_started = std::chrono::steady_clock::now();
  try {
    model_path = find_model(opt.model ? opt.model : default_model_name());
  } catch (const std::exception &e) {
    std::fprintf(stderr, "colorize: cannot load the model: %s\n", e.what());
    if (!opt.model)
      std::fprintf(stderr, "colorize: no --model given and the default model "
                   "is not installed; give a model file with --model FILE, or "
                   "copy one to %s%s%s%s (see --list-models)\n",
                   user_model_dir().c_str(), G_DIR_SEPARATOR_S,
                   default_model_name().c_str(), kModelSuffix);
    return kExitFailed;
  }
  try {
    model.emplace(Model::load(model_path, load));
  } catch (const std::exception &e) {
    std::string message = e.what();
    if (message.find(model_path) == std::string::npos)
      message = model_path + ": " + message;
    std::fprintf(stderr, "colorize: cannot load the model: %s\n",
                 message.c_str());
    return kExitFailed;
  }
  malloc_trim(0);  // give back what loading the archive used
  if (opt.verbose)
    std::fprintf(stderr, "colorize: model %s on %s, loaded in %.2f s\n",
                 model_path.c_str(), model->device_name().c_str(),
                 std::chrono::duration<double>(
                     std::chrono::steady_clock::now() - load_started)
                     .count());

  cli::JobSettings settings;
  settings.infer.resolution = opt.resolution;
  settings.apply.strength = opt.strength;
  settings.apply.refine = opt.refine;
  settings.quality = opt.quality;

  const auto started = std::chrono::steady_clock::now();
  Reporter reporter(tasks.size());
  size_t done = 0, failed = 0;
  for (size_t i = 0; i < tasks.size() && !interrupted; ++i) {
    const cli::Task &task = tasks[i];
    if (!task.error.empty()) {
      reporter.fail(task.input, task.error);
      ++failed;
      continue;
    }
    reporter.start(i, task.input);
    try {
      const cli::PhaseTimes t = cli::colorize_file(
          *model, task.input, task.output, settings, [&](double fraction) {
            reporter.show(fraction);
            return !interrupted;
          });
      ++done;
      if (opt.verbose) {
        reporter.clear();
        std::fprintf(stderr, "%s -> %s: model pass %.2f s, full resolution "
                     "%.2f s\n", task.input.c_str(), task.output.c_str(),
                     t.infer, t.apply);
      }
    } catch (const Cancelled &) {
      reporter.fail(task.input, "interrupted, nothing written");
      ++failed;
    } catch (const std::exception &e) {
      reporter.fail(task.input, e.what());
      ++failed;
    }
  }
  reporter.clear();
  const double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - started)
                             .count();
  const size_t skipped = tasks.size() - done - failed;
  std::fprintf(stderr, "colorize: %zu colorized, %zu failed", done, failed);
  if (skipped) std::fprintf(stderr, ", %zu not started", skipped);
  std::fprintf(stderr, " (%.1f s)\n", seconds);
  if (interrupted) return kExitInterrupted;
  return failed ? kExitFailed : 0;
}
