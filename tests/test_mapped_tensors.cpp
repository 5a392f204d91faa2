// Model tensors read in place from the mapped model file
// (core/mapped_tensors.h): the same values as LibTorch's own loading, in
// the file's mapping where the archive stores them as they are, copied
// where it compresses them.
#include <gtest/gtest.h>

#include <glib.h>
#include <torch/custom_class.h>
#include <torch/script.h>
#include <zip.h>

#include <filesystem>
#include <map>
#include <string>

#include <opencv2/core.hpp>

#include "colorize/model.h"
#include "mapped_tensors.h"
#include "model_archive.h"
#include "nets.h"
#include "support.h"

namespace fs = std::filesystem;
using colorize::detail::ArchiveReader;
using colorize::detail::is_mapped;
using colorize::detail::read_checked_archive;
using colorize::testing::info_for;
using colorize::testing::TempDir;
using colorize::testing::write_model;

namespace {

struct Loaded {
  torch::jit::Module module;
  int attached;
  std::string_view mapping;
};

/// A class of C++ objects a module can hold, whose tensor the search for
/// tensors cannot see.
struct Holder : torch::CustomClassHolder {
  explicit Holder(at::Tensor t) : tensor(std::move(t)) {}
  at::Tensor tensor;
};

TORCH_LIBRARY(colorize_mapped_test, m) {
  m.class_<Holder>("Holder").def_pickle(
      [](const c10::intrusive_ptr<Holder> &self) { return self->tensor; },
      [](at::Tensor t) { return c10::make_intrusive<Holder>(std::move(t)); });
}

/// The file at `path` mapped as read_checked_archive() maps it, unchecked.
colorize::detail::Bytes map_unchecked(const std::string &path) {
  GMappedFile *file = g_mapped_file_new(path.c_str(), FALSE, nullptr);
  colorize::detail::Bytes bytes(g_mapped_file_get_bytes(file));
  g_mapped_file_unref(file);
  return bytes;
}

Loaded load_mapped(const std::string &path, bool checked = true) {
  colorize::detail::Bytes bytes = checked ? read_checked_archive(path) : map_unchecked(path);
  const std::string_view mapping = colorize::detail::view(bytes);
  auto reader = std::make_shared<ArchiveReader>(std::move(bytes), true);
  torch::jit::Module module = torch::jit::load(reader, torch::Device(torch::kCPU));
  return {module, reader->attach(module), mapping};
}

std::map<std::string, at::Tensor> state_of(const torch::jit::Module &module) {
  std::map<std::string, at::Tensor> state;
  for (const auto &p : module.named_parameters()) state[p.name] = p.value;
  for (const auto &b : module.named_buffers()) state[b.name] = b.value;
  return state;
}

bool inside(const at::Tensor &t, std::string_view mapping) {
  const auto *data = static_cast<const char *>(t.storage().data());
  return data >= mapping.data() && data + t.storage().nbytes() <= mapping.data() + mapping.size();
}

/// Rewrites the archive at `path` with its tensor storages compressed.
void compress_storages(const std::string &path) {
  int code = 0;
  zip_t *zip = zip_open(path.c_str(), 0, &code);
  ASSERT_NE(zip, nullptr);
  for (zip_int64_t i = 0; i < zip_get_num_entries(zip, 0); ++i)
    if (std::string(zip_get_name(zip, zip_uint64_t(i), 0)).find("/data/") != std::string::npos)
      ASSERT_EQ(zip_set_file_compression(zip, zip_uint64_t(i), ZIP_CM_DEFLATE, 1), 0);
  ASSERT_EQ(zip_close(zip), 0) << zip_strerror(zip);
}

colorize::nets::UNetConfig small_unet() {
  colorize::nets::UNetConfig config;
  config.depth = 3;
  config.width = 16;
  return config;
}

}  // namespace

TEST(MappedTensors, StoredTensorsAreReadInPlaceWithLibTorchsValues) {
  TempDir dir;
  const auto config = small_unet();
  const std::string path = write_model(dir.file("unet.pt"), config, info_for(config));
  const auto want = state_of(torch::jit::load(path));
  const Loaded got = load_mapped(path);
  const auto state = state_of(got.module);
  ASSERT_EQ(state.size(), want.size());
  int mapped = 0;
  for (const auto &[name, tensor] : state) {
    EXPECT_TRUE(torch::equal(tensor, want.at(name))) << name;
    EXPECT_EQ(is_mapped(tensor.storage()), inside(tensor, got.mapping)) << name;
    mapped += is_mapped(tensor.storage());
  }
  // Every weight and bias, and the batch norm statistics.
  EXPECT_EQ(mapped, int(state.size()));
  EXPECT_EQ(got.attached, int(state.size()));
}

TEST(MappedTensors, CompressedTensorsAreCopied) {
  TempDir dir;
  const auto config = small_unet();
  const std::string path = write_model(dir.file("unet.pt"), config, info_for(config));
  const auto want = state_of(torch::jit::load(path));
  compress_storages(path);
  const Loaded got = load_mapped(path);
  EXPECT_EQ(got.attached, 0);
  for (const auto &[name, tensor] : state_of(got.module)) {
    EXPECT_TRUE(torch::equal(tensor, want.at(name))) << name;
    EXPECT_FALSE(is_mapped(tensor.storage())) << name;
    EXPECT_FALSE(inside(tensor, got.mapping)) << name;
  }
}

// A module holding an object whose insides the search does not see: attach()
// says so, and the module must be loaded again with its tensors copied.
TEST(MappedTensors, AttachRefusesModulesItCannotSearchWhole) {
  TempDir dir;
  torch::jit::Module m("__torch__.Holding");
  m.register_parameter("weight", torch::randn({64}), false);
  m.register_attribute("holder", c10::getCustomClassType<c10::intrusive_ptr<Holder>>(),
                       c10::IValue(c10::make_intrusive<Holder>(torch::randn({64}))));
  m.define("def forward(self, x):\n    return x * self.weight\n");
  m.save(dir.file("holding.pt"));
  EXPECT_EQ(load_mapped(dir.file("holding.pt"), false).attached, -1);
}

// Through Model::load: mapped or copied, the same colours, for a plain file
// and for one whose tensors are compressed.
TEST(MappedTensors, ModelLoadGivesTheSameColoursMappedOrCopied) {
  TempDir dir;
  const auto config = small_unet();
  const std::string plain = write_model(dir.file("plain.pt"), config, info_for(config));
  fs::copy_file(plain, dir.file("packed.pt"));
  compress_storages(dir.file("packed.pt"));
  colorize::LoadOptions options;
  options.device = colorize::Device::Cpu;
  const colorize::Model mapped = colorize::Model::load(plain, options);
  const colorize::Model packed = colorize::Model::load(dir.file("packed.pt"), options);
  options.map_weights = false;
  const colorize::Model copied = colorize::Model::load(plain, options);

  const int m = mapped.info().size_multiple;
  cv::Mat x(2 * m, 3 * m, CV_32FC1);
  cv::randu(x, -1.0, 1.0);
  const cv::Mat want = copied.forward(x);
  EXPECT_GT(cv::norm(want, cv::NORM_INF), 0.01);
  EXPECT_EQ(cv::norm(mapped.forward(x), want, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(packed.forward(x), want, cv::NORM_INF), 0.0);
}
