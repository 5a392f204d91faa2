// Model files are programs: what core refuses to load, and that the refused
// files would indeed have run their code if loaded by LibTorch alone.
#include <gtest/gtest.h>

#include <caffe2/serialize/inline_container.h>
#include <torch/script.h>
#include <zip.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "colorize/error.h"
#include "colorize/metadata.h"
#include "colorize/model.h"
#include "model_archive.h"
#include "model_guard.h"
#include "support.h"

namespace fs = std::filesystem;
using colorize::Model;
using colorize::ModelError;
using colorize::testing::info_for;
using colorize::testing::save_module;
using colorize::testing::TempDir;
using colorize::testing::tiny_unet;
using colorize::testing::write_model;

namespace {

colorize::LoadOptions cpu() {
  colorize::set_cpu_threads(1);
  colorize::LoadOptions o;
  o.device = colorize::Device::Cpu;
  return o;
}

/// The ModelError text of loading `path` through core ("" if it loads).
std::string load_error(const std::string &path) {
  try {
    Model::load(path, cpu());
  } catch (const ModelError &e) {
    return e.what();
  }
  return "";
}

std::string metadata() { return colorize::serialize_model_info(info_for(tiny_unet(2))); }

/// A module whose forward maps x to 2 channels after running `statement`.
torch::jit::Module module_running(const std::string &name, const std::string &statement) {
  torch::jit::Module m("__torch__." + name);
  m.register_attribute("training", c10::BoolType::get(), false);
  m.define("def forward(self, x):\n    " + statement + "\n    return torch.cat([x, x], 1)\n");
  return m;
}

std::string quoted(const std::string &path) { return "\"" + path + "\""; }

/// The process's resident set in kB (VmRSS of /proc/self/status).
long resident_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace

TEST(ModelGuard, WriterInForwardIsRefusedAndWritesNothing) {
  TempDir dir;
  const std::string victim = dir.file("victim");
  const std::string path = save_module(
      dir.file("writer.pt"),
      module_running("Writer", "w = torch.from_file(" + quoted(victim) + ", True, 64, dtype=0)\n    w.fill_(65)\n"
                                       "    x = x + w.sum().float() * 0.0"),
      metadata().c_str());
  const std::string error = load_error(path);
  EXPECT_NE(error.find("refused"), std::string::npos) << error;
  EXPECT_NE(error.find("forward() uses aten::from_file"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(victim));

  // What the check prevents: run by LibTorch alone, the file is written.
  torch::jit::load(path).forward({torch::zeros({1, 1, 8, 8})});
  EXPECT_EQ(fs::file_size(victim), 64u);
}

TEST(ModelGuard, ReaderInForwardIsRefused) {
  TempDir dir;
  const std::string secret = dir.file("secret");
  std::ofstream(secret) << "not for models";
  const std::string path = save_module(
      dir.file("reader.pt"),
      module_running("Reader", "s = torch.from_file(" + quoted(secret) + ", False, 14, dtype=0)\n"
                               "    x = x + s.sum().float() * 0.0"),
      metadata().c_str());
  const std::string error = load_error(path);
  EXPECT_NE(error.find("aten::from_file"), std::string::npos) << error;
}

TEST(ModelGuard, SetstateIsRefusedBeforeItRuns) {
  TempDir dir;
  const std::string victim = dir.file("victim");
  torch::jit::Module m = module_running("Loader", "pass");
  m.define("def __getstate__(self):\n    return (self.training, 0)\n");
  m.define("def __setstate__(self, state: Tuple[bool, int]):\n"
           "    w = torch.from_file(" + quoted(victim) + ", True, 32, dtype=0)\n"
           "    self.training = state[0] and w.numel() == 32\n");
  const std::string path = save_module(dir.file("setstate.pt"), m, metadata().c_str());
  const std::string error = load_error(path);
  EXPECT_NE(error.find("refused"), std::string::npos) << error;
  EXPECT_NE(error.find("__setstate__"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(victim));

  // What the check prevents: LibTorch runs __setstate__ while loading.
  torch::jit::load(path);
  EXPECT_EQ(fs::file_size(victim), 32u);
}

TEST(ModelGuard, FlippedBytesInTheWeightsAreRefusedAsDamaged) {
  TempDir dir;
  const std::string path = write_model(dir.file("m.pt"), tiny_unet(2), info_for(tiny_unet(2)));
  ASSERT_EQ(load_error(path), "");
  // The largest tensor storage in the archive, and where its bytes start.
  size_t offset = 0, size = 0;
  {
    caffe2::serialize::PyTorchStreamReader reader(path);
    for (const std::string &name : reader.getAllRecords()) {
      if (name.rfind("data/", 0) != 0) continue;
      const size_t n = std::get<1>(reader.getRecord(name));
      if (n > size) size = n, offset = reader.getRecordOffset(name);
    }
  }
  ASSERT_GT(size, 256u);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(std::streamoff(offset + size / 2));
    f.write("\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f", 8);
  }
  const std::string error = load_error(path);
  EXPECT_NE(error.find("damaged"), std::string::npos) << error;
  EXPECT_NE(error.find("CRC"), std::string::npos) << error;

  // What the check prevents: LibTorch loads the altered weights silently.
  EXPECT_NO_THROW(torch::jit::load(path));
}

TEST(ModelGuard, NotAnArchiveIsAClearError) {
  TempDir dir;
  const std::string path = dir.file("text.pt");
  std::ofstream(path) << "this is not a zip archive";
  const std::string error = load_error(path);
  EXPECT_NE(error.find("not a TorchScript model file"), std::string::npos) << error;
}

// A few hundred kilobytes that inflate to more than a model's sources and
// metadata could need are refused before they fill the memory.
TEST(ModelGuard, HugeTextEntryIsRefused) {
  TempDir dir;
  const std::string path = dir.file("bomb.pt");
  const std::string big(colorize::detail::kMaxArchiveTextEntry + 1, ' ');
  int error = 0;
  zip_t *zip = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  ASSERT_NE(zip, nullptr);
  zip_source_t *source = zip_source_buffer(zip, big.data(), big.size(), 0);
  ASSERT_NE(source, nullptr);
  const zip_int64_t index = zip_file_add(zip, "bomb/code/__torch__.py", source, 0);
  ASSERT_GE(index, 0);
  ASSERT_EQ(zip_set_file_compression(zip, zip_uint64_t(index), ZIP_CM_DEFLATE, 9), 0);
  ASSERT_EQ(zip_close(zip), 0);
  ASSERT_LT(fs::file_size(path), big.size() / 100);
  const std::string message = load_error(path);
  EXPECT_NE(message.find("refused: entry bomb/code/__torch__.py is larger than 64 MB"), std::string::npos) << message;
}

// Released pages of a mapped model file leave the resident set and read the
// same when touched again; a range smaller than a page releases nothing.
TEST(ModelGuard, ReleasedPagesLeaveMemoryAndReadTheSame) {
  TempDir dir;
  const std::string path = dir.file("pattern.bin");
  std::string pattern(size_t(32) << 20, '\0');
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = char(i * 2654435761u >> 24);
  std::ofstream(path, std::ios::binary).write(pattern.data(), std::streamsize(pattern.size()));
  GMappedFile *file = g_mapped_file_new(path.c_str(), FALSE, nullptr);
  ASSERT_NE(file, nullptr);
  const std::string_view mapped(g_mapped_file_get_contents(file), g_mapped_file_get_length(file));

  ASSERT_EQ(mapped, pattern);  // every page touched
  const long touched = resident_kb();
  colorize::detail::release_pages(mapped, 5, 100);
  colorize::detail::release_pages(mapped, 1000, mapped.size() * 2);
  const long released = resident_kb();
  EXPECT_GT(touched - released, 30 << 10) << touched << " kB before, " << released << " kB after";
  EXPECT_EQ(mapped, pattern);
  colorize::detail::release_pages(mapped, mapped.size(), 10);
  colorize::detail::release_pages({}, 0, 10);
  g_mapped_file_unref(file);
}

TEST(ModelGuard, AllowedOperatorsAreSortedAndExcludeFileAccess) {
  const auto &allowed = colorize::detail::allowed_operators();
  EXPECT_TRUE(std::is_sorted(allowed.begin(), allowed.end()));
  for (const char *op : {"aten::conv2d", "aten::batch_norm", "aten::cat", "aten::upsample_bilinear2d", "prim::If"})
    EXPECT_TRUE(std::binary_search(allowed.begin(), allowed.end(), op)) << op;
  for (const char *op : {"aten::from_file", "aten::save", "aten::load", "prim::Print", "prim::CallFunction"})
    EXPECT_FALSE(std::binary_search(allowed.begin(), allowed.end(), op)) << op;
}
