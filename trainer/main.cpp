// colorize-train: trains colorization models for the colorize core.
#include "colorize/memory.h"
#include "options.h"

int main(int argc, char **argv) {
  colorize::use_huge_pages();  // large tensors on huge pages: fewer page faults
  return colorize::train::run_cli(argc, argv);
}
