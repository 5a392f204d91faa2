// The model search path: see colorize/model_path.h.
#include "colorize/model_path.h"

#include <algorithm>
#include <set>

#include <glib.h>

#include "colorize/error.h"
#include "colorize/model.h"
#include "model_path_config.h"  // COLORIZE_INSTALLED_MODEL_DIR

namespace colorize {
namespace {

constexpr const char *kDataSubdir = "gimp-colorize";
constexpr const char *kModelsSubdir = "models";

std::string build_filename(const std::string &dir, const std::string &name) {
  gchar *path = g_build_filename(dir.c_str(), name.c_str(), nullptr);
  std::string result = path;
  g_free(path);
  return result;
}

bool has_dir_separator(const std::string &text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return G_IS_DIR_SEPARATOR(c); });
}

bool has_model_suffix(const std::string &name) {
  return g_str_has_suffix(name.c_str(), kModelSuffix) != 0;
}

bool is_regular_file(const std::string &path) {
  return g_file_test(path.c_str(), G_FILE_TEST_IS_REGULAR) != 0;
}

std::string folder_list(const std::vector<std::string> &folders) {
  std::string text;
  for (const auto &folder : folders) {
    if (!text.empty()) text += ", ";
    text += folder;
  }
  return text.empty() ? "(none)" : text;
}

/// Names of the visible *.pt regular files directly in `folder`, sorted;
/// empty when the folder is missing or unreadable.
std::vector<std::string> model_files_in(const std::string &folder) {
  std::vector<std::string> names;
  GDir *dir = g_dir_open(folder.c_str(), 0, nullptr);
  if (!dir) return names;
  while (const gchar *name = g_dir_read_name(dir)) {
    const std::string file = name;
    if (file[0] == '.' || !has_model_suffix(file) ||
        file.size() == std::char_traits<char>::length(kModelSuffix))
      continue;
    if (is_regular_file(build_filename(folder, file))) names.push_back(file);
  }
  g_dir_close(dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::string default_model_name() { return "colorize-default"; }

std::string user_model_dir() {
  gchar *dir = g_build_filename(g_get_user_data_dir(), kDataSubdir,
                                kModelsSubdir, nullptr);
  std::string result = dir;
  g_free(dir);
  return result;
}

std::string installed_model_dir() { return COLORIZE_INSTALLED_MODEL_DIR; }

std::vector<std::string> model_search_path(const char *env_value,
                                           const std::string &user_dir,
                                           const std::string &installed_dir) {
  std::vector<std::string> folders;
  auto add = [&folders](const std::string &folder) {
    if (!folder.empty() &&
        std::find(folders.begin(), folders.end(), folder) == folders.end())
      folders.push_back(folder);
  };
  if (env_value && *env_value) {
    gchar **parts = g_strsplit(env_value, G_SEARCHPATH_SEPARATOR_S, -1);
    for (gchar **p = parts; *p; ++p) add(*p);
    g_strfreev(parts);
  }
  add(user_dir);
  add(installed_dir);
  return folders;
}

std::vector<std::string> model_search_path() {
  return model_search_path(g_getenv(kModelPathVariable), user_model_dir(),
                           installed_model_dir());
}

std::string find_model(const std::string &name_or_path,
                       const std::vector<std::string> &folders) {
  if (name_or_path.empty()) throw ModelError("empty model name");
  if (has_dir_separator(name_or_path)) {
    if (!g_file_test(name_or_path.c_str(), G_FILE_TEST_EXISTS))
      throw ModelError(name_or_path + ": no such file");
    return name_or_path;
  }
  const bool suffixed = has_model_suffix(name_or_path);
  if (suffixed && g_file_test(name_or_path.c_str(), G_FILE_TEST_EXISTS))
    return name_or_path;

  const std::string file = suffixed ? name_or_path : name_or_path + kModelSuffix;
  for (const auto &folder : folders) {
    const std::string path = build_filename(folder, file);
    if (is_regular_file(path)) return path;
  }
  // A model file without the .pt ending in the current folder.
  if (is_regular_file(name_or_path)) return name_or_path;

  throw ModelError("no model \"" + name_or_path + "\": " + file +
                   " is in none of the model folders searched (" +
                   folder_list(folders) + ")");
}

std::string find_model(const std::string &name_or_path) {
  return find_model(name_or_path, model_search_path());
}

std::vector<ModelEntry> list_models(const std::vector<std::string> &folders) {
  std::vector<ModelEntry> entries;
  std::set<std::string> seen;
  const size_t suffix = std::char_traits<char>::length(kModelSuffix);
  for (const auto &folder : folders) {
    for (const auto &file : model_files_in(folder)) {
      ModelEntry entry;
      entry.name = file.substr(0, file.size() - suffix);
      if (!seen.insert(entry.name).second) continue;
      entry.path = build_filename(folder, file);
      try {
        entry.info = read_model_info(entry.path);
      } catch (const std::exception &e) {
        entry.error = e.what();
      }
      entries.push_back(std::move(entry));
    }
  }
  return entries;
}

std::vector<ModelEntry> list_models() { return list_models(model_search_path()); }

}  // namespace colorize
