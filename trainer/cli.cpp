// colorize-train's command line: subcommand dispatch and error reporting.
#include <cstring>
#include <exception>
#include <iostream>
#include <vector>

#include <glib.h>

#include "colorize/error.h"
#include "options.h"
#include "train.h"

namespace colorize::train {
namespace {

/// export --out must name the model file: a folder (an existing one, or a
/// name ending in '/') is a usage error rather than a failed rename.
void check_export_out(const std::string &out) {
  if (!g_str_has_suffix(out.c_str(), G_DIR_SEPARATOR_S) && !g_file_test(out.c_str(), G_FILE_TEST_IS_DIR)) return;
  gchar *example = g_build_filename(out.c_str(), "model.pt", nullptr);
  const std::string message =
      "--out " + out + " is a folder; give the model file to write (e.g. --out " + example + ")";
  g_free(example);
  throw UsageError(message);
}

}  // namespace

int run_cli(int argc, char **argv) {
  std::string command = "train";
  std::vector<char *> args(argv, argv + argc);
  if (argc > 1 && argv[1][0] != '-') {
    command = argv[1];
    args.erase(args.begin() + 1);
  }
  const int n = int(args.size());
  try {
    if (command == "train") {
      run_training(parse_train_options(n, args.data()));
    } else if (command == "export") {
      const ExportOptions options = parse_export_options(n, args.data());
      check_export_out(options.out);
      return run_export(options);
    } else if (command == "eval") {
      return run_eval(parse_eval_options(n, args.data()));
    } else {
      throw UsageError("unknown command '" + command + "' (use train, export or eval; see --help)");
    }
  } catch (const UsageError &e) {
    std::cerr << "colorize-train: " << e.what() << "\n";
    return 2;
  } catch (const std::exception &e) {
    std::cerr << "colorize-train: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace colorize::train
