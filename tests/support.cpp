// Test helpers: see support.h
#include "support.h"

#include <filesystem>
#include <unordered_map>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <gtest/gtest.h>

namespace colorize::testing {

std::string data_path(const std::string &name) {
  const char *dir = g_getenv("COLORIZE_TEST_DATA");
  if (dir == nullptr || *dir == '\0') {
    ADD_FAILURE() << "COLORIZE_TEST_DATA is not set (run the tests with meson test)";
    return name;
  }
  gchar *path = g_build_filename(dir, name.c_str(), nullptr);
  std::string result = path;
  g_free(path);
  return result;
}

TempDir::TempDir() {
  GError *error = nullptr;
  gchar *dir = g_dir_make_tmp("colorize-test-XXXXXX", &error);
  if (dir == nullptr) {
    std::string message = error->message;
    g_error_free(error);
    throw std::runtime_error("cannot make a temporary folder: " + message);
  }
  path_ = dir;
  g_free(dir);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::file(const std::string &name) const {
  return (std::filesystem::path(path_) / name).string();
}

nets::UNetConfig tiny_unet(int out_channels) {
  nets::UNetConfig config;
  config.depth = 3;
  config.width = 4;
  config.out_channels = out_channels;
  config.dropout_blocks = 1;
  return config;
}

ModelInfo info_for(const nets::UNetConfig &config) {
  ModelInfo info;
  info.color_space = config.out_channels == 3 ? ColorSpace::Rgb : ColorSpace::Lab;
  info.size_multiple = nets::unet_size_multiple(config);
  info.input_size = info.size_multiple;
  info.hints = config.in_channels == 4;
  info.format_version = info.hints ? kHintFormatVersion : kFormatVersion;
  info.name = "untrained test network";
  info.architecture_json = nets::to_json(config);
  return info;
}

torch::jit::Module scripted_module(const std::string &body) {
  torch::jit::Module m("__torch__.OddModel");
  m.register_attribute("training", c10::BoolType::get(), false);
  m.define("def forward(self, x):\n    return " + body + "\n");
  return m;
}

std::string save_module(const std::string &path, torch::jit::Module module,
                        const char *json_text) {
  torch::jit::ExtraFilesMap extra;
  if (json_text != nullptr) extra[kMetadataFileName] = json_text;
  module.save(path, extra);
  return path;
}

std::string write_model(const std::string &path, const nets::UNetConfig &config,
                        const ModelInfo &info) {
  torch::manual_seed(1234);
  auto module = nets::build_unet(config);
  module.eval();
  const std::string json = serialize_model_info(info);
  return save_module(path, module, json.c_str());
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof a;
  bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
  getsockname(fd, reinterpret_cast<sockaddr *>(&a), &size);
  close(fd);
  return ntohs(a.sin_port);
}

}  // namespace colorize::testing
