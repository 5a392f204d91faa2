// colorize-train: trains colorization models for the colorize core.
#include "options.h"

int main(int argc, char **argv) { return colorize::train::run_cli(argc, argv); }
