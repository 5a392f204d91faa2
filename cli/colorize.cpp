// colorize: colorizes photos from the command line with a model file, using
// the same core as the GIMP plug-in. See `colorize --help`.
#include <chrono>
#include <cstdio>
#include <cerrno>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <glib.h>
#include <malloc.h>
#include <unistd.h>
#include <opencv2/core.hpp>

#include "colorize/error.h"
#include "colorize/memory.h"
#include "colorize/model.h"
#include "colorize/model_path.h"
#include "command_line.h"
#include "failure.h"
#include "image_job.h"
#include "inputs.h"
#include "interrupt.h"
#include "progress.h"

namespace {

using namespace colorize;
using namespace colorize::cli;

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

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", seconds);
  return text;
}

/// The tasks of the command line's INPUTs, their outputs assigned (the
/// --output folder created when needed). Returns 0 or an exit status.
int prepare_tasks(const Options &opt, std::vector<Task> &tasks) {
  std::vector<std::string> args;
  bool any_folder = false;
  for (gchar **p = opt.inputs; *p; ++p) {
    args.push_back(*p);
    any_folder |= g_file_test(*p, G_FILE_TEST_IS_DIR) != 0;
  }
  tasks = expand_inputs(args);

  Destination dest;
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
  assign_outputs(tasks, dest);
  return 0;
}

/// How a model that cannot be loaded is reported (after "colorize: ").
std::string load_failure(const Options &opt, const std::string &model_path, const std::exception &e) {
  std::string message = out_of_memory_report("loading the model " + model_path, e, opt.verbose);
  if (message.empty()) {
    message = std::string("cannot load the model: ") + e.what();
    if (message.find(model_path) == std::string::npos)
      message = "cannot load the model: " + model_path + ": " + e.what();
  }
  return message;
}

/// Finds and loads the model once for all files; nullopt after saying why
/// it cannot be. `in_background`: the network loads while the first
/// picture is read (Model::load_in_background()); its errors come later.
std::optional<Model> load_model(const Options &opt, const LoadOptions &load, bool in_background) {
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
    return std::nullopt;
  }
  std::optional<Model> model;
  try {
    if (in_background) {
      model.emplace(Model::load_in_background(model_path, load));
      return model;  // run_tasks() tells where it runs once it has loaded
    }
    model.emplace(Model::load(model_path, load));
  } catch (const std::exception &e) {
    std::fprintf(stderr, "colorize: %s\n", load_failure(opt, model_path, e).c_str());
    return std::nullopt;
  }
  malloc_trim(0);  // give back what loading the archive used
  if (opt.verbose)
    std::fprintf(stderr, "colorize: model %s on %s, loaded in %.2f s\n",
                 model_path.c_str(), model->device_name().c_str(),
                 std::chrono::duration<double>(
                     std::chrono::steady_clock::now() - load_started)
                     .count());
  return model;
}

/// The error of a model loaded in the background, as load_model() reports
/// it; nullopt when the model loaded.
std::optional<std::string> background_load_failure(const Model &model, const Options &opt) {
  try {
    model.wait();
    return std::nullopt;
  } catch (const std::exception &e) {
    return load_failure(opt, model.path(), e);
  }
}

JobSettings job_settings(const Options &opt) {
  JobSettings settings;
  settings.infer.resolution = opt.resolution;
  settings.apply.strength = opt.strength;
  settings.apply.refine = opt.refine;
  settings.quality = opt.quality;
  settings.limits.max_pixels = int64_t(opt.max_megapixels * 1e6);
  settings.limits.accept_corrupt = opt.accept_corrupt;
  return settings;
}

/// Colorizes every task, reporting each failure on a line of its own and
/// the counts at the end. Returns the exit status. `tell_model`: say where
/// the model runs (-v) once the first picture is done.
int run_tasks(const Model &model, const std::vector<Task> &tasks,
              const Options &opt, ProgressDisplay &reporter, bool tell_model) {
  const auto started = std::chrono::steady_clock::now();
  JobSettings settings = job_settings(opt);
  settings.phase = [&](Phase phase) { reporter.phase(phase); };
  size_t done = 0, failed = 0;
  for (size_t i = 0; i < tasks.size() && !interrupted(); ++i) {
    const Task &task = tasks[i];
    if (!task.error.empty()) {
      reporter.say(task.input + ": " + task.error);
      ++failed;
      continue;
    }
    reporter.start(i, task.input);
    try {
      JobSettings own = settings;
      if (!task.hints.empty()) {
        own.infer.hints = read_hint_image(task.hints);
        own.infer.hint_order = ChannelOrder::Bgr;
      }
      const JobResult r = colorize_file(
          model, task.input, task.output, own, [&](double fraction) {
            reporter.fraction(fraction);
            return !interrupted();
          });
      ++done;
      reporter.done();
      if (std::exchange(tell_model, false))
        reporter.say("colorize: model " + model.path() + " on " + model.device_name() +
                     ", loaded while the picture was read");
      if (!r.warning.empty())
        reporter.say(task.input + ": warning: damaged JPEG data accepted "
                     "(libjpeg: " + r.warning + ")");
      if (opt.verbose)
        reporter.say(task.input + " -> " + task.output + ": model pass " +
                     seconds_text(r.infer) + ", full resolution " +
                     seconds_text(r.apply));
    } catch (const Cancelled &) {
      reporter.say(task.input + ": interrupted, nothing written");
      ++failed;
    } catch (const std::exception &e) {
      if (const auto failure = background_load_failure(model, opt)) {
        reporter.finish();
        std::fprintf(stderr, "colorize: %s\n", failure->c_str());
        return kExitFailed;
      }
      const std::string what = task.hints.empty() ? task.input : task.input + " (hints " + task.hints + ")";
      reporter.say(failure_report(what, e, opt.verbose));
      ++failed;
    }
  }
  reporter.finish();
  const double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - started)
                             .count();
  const size_t skipped = tasks.size() - done - failed;
  std::fprintf(stderr, "colorize: %zu colorized, %zu failed", done, failed);
  if (skipped) std::fprintf(stderr, ", %zu not started", skipped);
  std::fprintf(stderr, " (%.1f s)\n", seconds);
  if (interrupted()) return kExitInterrupted;
  return failed ? kExitFailed : 0;
}

int run(int argc, char **argv) {
  Options opt;
  if (const int status = parse_options(argc, argv, opt)) return status;
  if (opt.list_models) return print_model_list();
  LoadOptions load;
  try {
    load.device = parse_device(opt.device ? opt.device : "auto");
  } catch (const Error &e) {
    return usage_error(e.what());
  }
  std::vector<Task> tasks;
  if (const int status = prepare_tasks(opt, tasks)) return status;
  if (opt.hints) {
    const std::string problem = assign_hints(tasks, opt.hints);
    if (!problem.empty()) return usage_error(problem);
  }

  // With one picture its model pass is the network's check: the same
  // messages, one pass less, and the network loads while the picture is
  // read. Several are checked once, before the first.
  const bool one_picture = tasks.size() == 1;
  load.check_at_load = !one_picture;

  // Threads start before the model loads: none can while LibTorch's
  // libraries load.
  watch_interrupts();
  ProgressDisplay reporter(tasks.size(), progress_bar_wanted(opt.progress));
  set_cpu_threads(opt.threads);  // checked by parse_options
  use_huge_pages();
  const std::optional<Model> model = load_model(opt, load, one_picture);
  if (!model) return kExitFailed;
  if (opt.hints && !model->info().hints) {
    std::fprintf(stderr, "colorize: --hints: the model %s takes no colour hints (it reads L only; hint "
                 "models have format_version %d)\n", model->path().c_str(), kHintFormatVersion);
    return kExitUsage;
  }
  return run_tasks(*model, tasks, opt, reporter, opt.verbose && one_picture);
}

/// Ends the program once run() has written and closed its outputs, without
/// the libraries' static destructors: LibTorch's take about 0.1 s at exit
/// (each of its operators is unregistered) and nothing here needs them.
/// With AddressSanitizer the program returns from main() as usual, so that
/// LeakSanitizer checks it at exit.
int end(int status) {
#if defined(__SANITIZE_ADDRESS__)
  return status;
#else
  std::fflush(nullptr);
  _exit(status);
#endif
}

}  // namespace

int main(int argc, char **argv) {
  // What the steps above do not report themselves (a failed allocation
  // while listing a folder, say) ends the program with one line too.
  try {
    return end(run(argc, argv));
  } catch (const std::exception &e) {
    std::string message = out_of_memory_report("", e, false);
    if (message.empty()) message = e.what();
    std::fprintf(stderr, "colorize: %s\n", message.c_str());
    return kExitFailed;
  }
}
