// Helpers shared by the test programs: fixture paths, temporary folders and
// small untrained model files built with the network builder.
//
// Note: inside namespace colorize, `testing::` means colorize::testing; write
// `::testing::` for GoogleTest's namespace there.
#pragma once

#include <string>

#include "colorize/metadata.h"
#include "nets.h"

namespace colorize::testing {

/// $COLORIZE_TEST_DATA/name (the tests/data folder of the source tree).
/// Fails the calling test (ADD_FAILURE) when the variable is not set.
std::string data_path(const std::string &name);

/// A TCP port of 127.0.0.1 that was free a moment ago.
int free_port();

/// A fresh folder under the system temp dir, removed with its contents when
/// the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::string &path() const { return path_; }
  /// path()/name
  std::string file(const std::string &name) const;

 private:
  std::string path_;
};

/// A U-Net small enough for fast tests: depth 3, width 4 (size multiple 8).
nets::UNetConfig tiny_unet(int out_channels = 2);

/// ModelInfo matching `config`: color space from out_channels (2 = lab,
/// 3 = rgb), hint inputs when in_channels is 4, size_multiple = input_size = 2^depth, architecture filled in.
ModelInfo info_for(const nets::UNetConfig &config);

/// Builds the network (seeded RNG, so the same config gives the same
/// weights), puts it in eval mode and saves it to `path` with `info`
/// serialized as colorize.json. Returns `path`.
std::string write_model(const std::string &path, const nets::UNetConfig &config,
                        const ModelInfo &info);

/// A module whose forward(self, x) returns the TorchScript expression
/// `body`, for models that misbehave on purpose.
torch::jit::Module scripted_module(const std::string &body);

/// Saves an already built module with `json_text` as colorize.json (or no
/// colorize.json at all when `json_text` is null). Returns `path`.
std::string save_module(const std::string &path, torch::jit::Module module,
                        const char *json_text);

}  // namespace colorize::testing
