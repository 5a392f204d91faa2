// See inputs.h.
#include "inputs.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include <glib.h>
#include <glib/gstdio.h>

#include "image_job.h"

namespace colorize::cli {
namespace {

std::string join(const std::string &dir, const std::string &name) {
  char *p = g_build_filename(dir.c_str(), name.c_str(), nullptr);
  std::string s(p);
  g_free(p);
  return s;
}

/// File name without its last extension.
std::string stem_of(const std::string &name) {
  const size_t dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

std::string basename_of(const std::string &path) {
  char *b = g_path_get_basename(path.c_str());
  std::string s(b);
  g_free(b);
  return s;
}

bool is_earlier_result(const std::string &name) {
  const auto dot = name.find_last_of('.');
  const std::string stem = name.substr(0, dot);
  const std::string suffix = "-colorized";
  return stem.size() > suffix.size() &&
         stem.compare(stem.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Identity of an existing file (device, inode), to catch the same file
/// under two names.
bool file_id(const std::string &path, std::pair<dev_t, ino_t> &id) {
  GStatBuf st;
  if (g_stat(path.c_str(), &st) != 0) return false;
  id = {st.st_dev, st.st_ino};
  return true;
}

}  // namespace

std::vector<Task> expand_inputs(const std::vector<std::string> &args) {
  std::vector<Task> tasks;
  for (const std::string &arg : args) {
    if (!g_file_test(arg.c_str(), G_FILE_TEST_IS_DIR)) {
      tasks.push_back({arg, {}, {}, {}});
      continue;
    }
    GError *error = nullptr;
    GDir *dir = g_dir_open(arg.c_str(), 0, &error);
    if (!dir) {
      tasks.push_back({arg, {}, error->message, {}});
      g_error_free(error);
      continue;
    }
    std::vector<std::string> names;
    while (const char *name = g_dir_read_name(dir)) {
      const std::string path = join(arg, name);
      if (name[0] == '.' || is_earlier_result(name) || !is_image_name(name) ||
          !g_file_test(path.c_str(), G_FILE_TEST_IS_REGULAR))
        continue;
      names.push_back(name);
    }
    g_dir_close(dir);
    std::sort(names.begin(), names.end());
    if (names.empty())
      tasks.push_back({arg, {}, "no image files in this folder", {}});
    for (const std::string &name : names) tasks.push_back({join(arg, name), {}, {}, {}});
  }
  return tasks;
}

std::string default_output(const std::string &input) {
  const std::string base = basename_of(input);
  const auto dot = base.find_last_of('.');
  const std::string stem = dot == std::string::npos || dot == 0
                               ? base
                               : base.substr(0, dot);
  const std::string ext =
      dot == std::string::npos || dot == 0 ? "" : base.substr(dot);
  char *dir = g_path_get_dirname(input.c_str());
  std::string out = join(dir, stem + "-colorized" + ext);
  g_free(dir);
  return out;
}

void assign_outputs(std::vector<Task> &tasks, const Destination &dest) {
  std::set<std::pair<dev_t, ino_t>> inputs;
  for (const Task &t : tasks) {
    std::pair<dev_t, ino_t> id;
    if (t.error.empty() && file_id(t.input, id)) inputs.insert(id);
  }
  std::map<std::string, std::string> claimed;  // output -> input
  for (Task &t : tasks) {
    if (!t.error.empty()) continue;
    if (dest.in_place)
      t.output = t.input;
    else if (dest.output.empty())
      t.output = default_output(t.input);
    else if (dest.output_is_dir)
      t.output = join(dest.output, basename_of(t.input));
    else
      t.output = dest.output;

    std::pair<dev_t, ino_t> id;
    if (!dest.in_place && file_id(t.output, id) && inputs.count(id)) {
      t.error = "the output " + t.output +
                " is an input file; not overwriting it (use --in-place to "
                "replace inputs)";
      continue;
    }
    auto [it, fresh] = claimed.emplace(t.output, t.input);
    if (!fresh)
      t.error = "the output " + t.output + " is already written for " +
                it->second;
  }
}

std::string assign_hints(std::vector<Task> &tasks, const std::string &hints) {
  if (g_file_test(hints.c_str(), G_FILE_TEST_IS_DIR)) {
    std::map<std::string, std::string> by_stem;  // the first name in order wins
    GDir *dir = g_dir_open(hints.c_str(), 0, nullptr);
    if (!dir) return "--hints " + hints + ": cannot read the folder";
    std::vector<std::string> names;
    while (const char *name = g_dir_read_name(dir))
      if (name[0] != '.' && is_image_name(name)) names.push_back(name);
    g_dir_close(dir);
    std::sort(names.begin(), names.end());
    for (const auto &name : names) by_stem.emplace(stem_of(name), join(hints, name));
    for (auto &t : tasks) {
      const auto it = by_stem.find(stem_of(basename_of(t.input)));
      if (it != by_stem.end()) t.hints = it->second;
    }
    return "";
  }
  if (!g_file_test(hints.c_str(), G_FILE_TEST_EXISTS)) return "--hints " + hints + ": no such file or folder";
  if (tasks.size() != 1)
    return "--hints FILE is for one input; for several, give a folder of hint images named like the inputs";
  tasks[0].hints = hints;
  return "";
}

}  // namespace colorize::cli
