#include "standard_unet.h"

#include <glib.h>
#include <torch/script.h>

#include <cstdio>

#include "colorize/metadata.h"
#include "nets.h"

namespace bench {

std::string standard_unet(const std::string &dir) {
  const std::string path = dir + "/unet-standard.pt";
  if (g_file_test(path.c_str(), G_FILE_TEST_EXISTS)) return path;
  g_mkdir_with_parents(dir.c_str(), 0755);
  colorize::nets::UNetConfig config;  // Pix2Pix paper defaults
  torch::jit::Module module = colorize::nets::build_unet(config);
  colorize::nets::set_training(module, false);
  int64_t params = 0;
  for (const auto &p : module.parameters()) params += p.numel();
  colorize::ModelInfo info;
  info.name = "untrained standard U-Net (benchmark)";
  info.input_size = 256;
  info.size_multiple = colorize::nets::unet_size_multiple(config);
  info.architecture_json = colorize::nets::to_json(config);
  torch::jit::ExtraFilesMap extra{{colorize::kMetadataFileName, colorize::serialize_model_info(info)}};
  module.save(path, extra);
  std::printf("model: %s, %.1f M parameters\n", path.c_str(), params / 1e6);
  return path;
}

}  // namespace bench
