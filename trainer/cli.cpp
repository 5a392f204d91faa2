// colorize-train's command line: subcommand dispatch and error reporting.
#include <cstring>
#include <exception>
#include <iostream>
#include <vector>

#include "colorize/error.h"
#include "options.h"
#include "train.h"

namespace colorize::train {

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
      return run_export(parse_export_options(n, args.data()));
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
