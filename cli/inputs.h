// Which files the command line names, and where each result goes.
#pragma once

#include <string>
#include <vector>

namespace colorize::cli {

struct Task {
  std::string input;
  std::string output;
  std::string error;  ///< set when the task cannot run (reported, counted)
  std::string hints;  ///< hint image for this input, empty for none
};

struct Destination {
  bool in_place = false;
  std::string output;       ///< --output, empty when not given
  bool output_is_dir = false;
};

/// Expands folders (their images, not recursive; hidden files and earlier
/// "*-colorized.*" results skipped, sorted by name) and keeps file
/// arguments as given. A folder without images gives a task with an error.
std::vector<Task> expand_inputs(const std::vector<std::string> &args);

/// Gives each task its hint image from `hints` (--hints): a file, for a
/// single task; or a folder, where the image with the input's file stem (any
/// image extension) is that input's (inputs without one run without hints).
/// Returns an empty string or the problem with the command line.
std::string assign_hints(std::vector<Task> &tasks, const std::string &hints);

/// "<folder>/<stem>-colorized.<ext>" beside the input.
std::string default_output(const std::string &input);

/// Fills in every task's output and refuses (task error) any output that is
/// one of the inputs unless in place, or that two tasks would both write.
void assign_outputs(std::vector<Task> &tasks, const Destination &dest);

}  // namespace colorize::cli
