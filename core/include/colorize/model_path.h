// Model files found by name: the model search path, looking a model up by
// name or path, and listing the models in the path with their metadata.
// No LibTorch here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "colorize/metadata.h"

namespace colorize {

/// Environment variable with extra model folders, searched first; folders
/// are separated by G_SEARCHPATH_SEPARATOR (':' on Unix, ';' on Windows).
inline constexpr const char *kModelPathVariable = "COLORIZE_MODEL_PATH";
/// File name ending of model files in the search path.
inline constexpr const char *kModelSuffix = ".pt";

/// Name of the model used when none is given: "colorize-default", i.e. the
/// file colorize-default.pt in the search path.
std::string default_model_name();

/// The per-user model folder: g_get_user_data_dir()/gimp-colorize/models
/// (usually ~/.local/share/gimp-colorize/models).
std::string user_model_dir();

/// The folder `meson install` puts model files in (the default model among
/// them): <prefix>/<datadir>/gimp-colorize/models, fixed at build time.
std::string installed_model_dir();

/// The search path built from its parts, in this order: each non-empty
/// folder of `env_value` (separated by G_SEARCHPATH_SEPARATOR; null or ""
/// gives none), then `user_dir`, then `installed_dir`. A folder given twice
/// is kept at its first place only.
std::vector<std::string> model_search_path(const char *env_value,
                                           const std::string &user_dir,
                                           const std::string &installed_dir);

/// The search path of this process: $COLORIZE_MODEL_PATH, user_model_dir(),
/// installed_model_dir().
std::vector<std::string> model_search_path();

/// The model file meant by `name_or_path`:
///  * a path with a directory separator is used as it is (ModelError
///    "<path>: no such file" when it does not exist);
///  * a name ending in ".pt" that exists (relative to the current folder) is
///    used as it is;
///  * otherwise it is a name: the first <folder>/<name>.pt (".pt" added when
///    not already there) in `folders` that is a regular file;
///  * failing that, an existing regular file of that name in the current
///    folder.
/// Throws ModelError naming the model and every folder searched when
/// nothing is found.
std::string find_model(const std::string &name_or_path,
                       const std::vector<std::string> &folders);

/// find_model() in model_search_path().
std::string find_model(const std::string &name_or_path);

/// One model file of the search path.
struct ModelEntry {
  std::string name;               ///< file name without ".pt"
  std::string path;               ///< the file
  std::optional<ModelInfo> info;  ///< its colorize.json; empty when unreadable
  std::string error;              ///< why `info` is empty
};

/// Every *.pt file (not hidden, regular) of `folders`, folder by folder in
/// their order and by name within a folder; when several folders hold the
/// same name, only the first one is listed (the one find_model() picks).
/// The metadata is read with read_model_info(): the networks are neither
/// loaded nor run. A file whose metadata cannot be read is listed with its
/// error. Missing or unreadable folders are skipped.
std::vector<ModelEntry> list_models(const std::vector<std::string> &folders);

/// list_models() of model_search_path().
std::vector<ModelEntry> list_models();

}  // namespace colorize
