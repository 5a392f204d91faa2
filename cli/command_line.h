// The colorize program's command line: options, --help text and the checks
// that make a bad value a usage error (exit status 2).
#pragma once

#include <string>

#include <glib.h>

namespace colorize::cli {

inline constexpr int kExitFailed = 1;         ///< a file or the model failed
inline constexpr int kExitUsage = 2;          ///< bad command line
inline constexpr int kExitInterrupted = 130;  ///< SIGINT / SIGTERM

struct Options {
  gchar *model = nullptr;
  gchar *device = nullptr;
  gchar *output = nullptr;
  gchar *progress = nullptr;  ///< "auto", "bar" or "plain"; nullptr: auto
  gchar *hints = nullptr;     ///< hint image (one input) or folder of them
  gint resolution = 0;  ///< 0: the model's own
  gdouble strength = 1.0;
  gboolean in_place = FALSE;
  gboolean refine = FALSE;
  gint quality = 0;  ///< 0: a JPEG input's own, else 92
  gint threads = 0;
  gdouble max_megapixels = 0;  ///< set to the default by parse_options()
  gboolean accept_corrupt = FALSE;
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
    g_free(progress);
    g_free(hints);
    g_strfreev(inputs);
  }
};

/// Parses and checks the command line into `opt`. Returns 0 when the
/// program goes on, else the exit status after printing the usage error
/// ("colorize: <problem>" and a pointer to --help). --help prints the help
/// and exits.
int parse_options(int &argc, char **&argv, Options &opt);

/// Prints "colorize: <message>" and the pointer to --help; returns
/// kExitUsage.
int usage_error(const std::string &message);

}  // namespace colorize::cli
