// The model search path: folder order, lookup by name or path, and the
// listing with metadata read without running the networks. Folders are
// given explicitly, so the user's own model folders play no part.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>

#include "colorize/error.h"
#include "colorize/model.h"
#include "colorize/model_path.h"
#include "support.h"

namespace {

using colorize::ModelEntry;
using colorize::ModelError;
using colorize::testing::TempDir;
using Folders = std::vector<std::string>;

std::string join(const std::string &dir, const std::string &name) {
  return (std::filesystem::path(dir) / name).string();
}

void write_bytes(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

/// A tiny model whose colorize.json carries `description`.
std::string write_described(const std::string &path,
                            const std::string &description) {
  const auto config = colorize::testing::tiny_unet();
  colorize::ModelInfo info = colorize::testing::info_for(config);
  info.description = description;
  info.license = "CC0-1.0";
  return colorize::testing::write_model(path, config, info);
}

/// The message of the ModelError that `body` throws ("" if none).
template <typename Body>
std::string model_error(Body body) {
  try {
    body();
  } catch (const ModelError &e) {
    return e.what();
  }
  return "";
}

const ModelEntry *entry(const std::vector<ModelEntry> &list,
                        const std::string &name) {
  for (const auto &e : list)
    if (e.name == name) return &e;
  return nullptr;
}

TEST(ModelSearchPath, EnvironmentFoldersThenUserThenInstalled) {
  const char sep = G_SEARCHPATH_SEPARATOR;
  const std::string env = std::string("/a") + sep + "/b" + sep + sep + "/c" + sep;
  EXPECT_EQ(colorize::model_search_path(env.c_str(), "/user", "/inst"),
            (Folders{"/a", "/b", "/c", "/user", "/inst"}));
  EXPECT_EQ(colorize::model_search_path(nullptr, "/user", "/inst"),
            (Folders{"/user", "/inst"}));
  EXPECT_EQ(colorize::model_search_path("", "/user", "/inst"),
            (Folders{"/user", "/inst"}));
  // a folder named twice is searched once, at its first place
  const std::string twice = std::string("/inst") + sep + "/a" + sep + "/a";
  EXPECT_EQ(colorize::model_search_path(twice.c_str(), "/user", "/inst"),
            (Folders{"/inst", "/a", "/user"}));
}

TEST(ModelSearchPath, ProcessPathReadsTheEnvironment) {
  const std::string env = std::string("/first") + G_SEARCHPATH_SEPARATOR + "/second";
  const gchar *old = g_getenv(colorize::kModelPathVariable);
  const std::string saved = old ? old : "";
  g_setenv(colorize::kModelPathVariable, env.c_str(), TRUE);
  const Folders path = colorize::model_search_path();
  if (old)
    g_setenv(colorize::kModelPathVariable, saved.c_str(), TRUE);
  else
    g_unsetenv(colorize::kModelPathVariable);

  ASSERT_EQ(path.size(), 4u);
  EXPECT_EQ(path[0], "/first");
  EXPECT_EQ(path[1], "/second");
  EXPECT_EQ(path[2], colorize::user_model_dir());
  EXPECT_EQ(path[3], colorize::installed_model_dir());
  EXPECT_EQ(colorize::user_model_dir(),
            join(join(g_get_user_data_dir(), "gimp-colorize"), "models"));
  // (a named string: GLib 2.84's g_str_has_suffix macro would outlive a
  // temporary's buffer)
  const std::string installed = colorize::installed_model_dir();
  EXPECT_TRUE(g_str_has_suffix(installed.c_str(), "/gimp-colorize/models"));
  EXPECT_EQ(colorize::default_model_name(), "colorize-default");
}

class FindModel : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = write_described(first_.file("m.pt"), "first");
    std::filesystem::copy_file(model_, second_.file("m.pt"));
    std::filesystem::copy_file(model_, second_.file("only-second.pt"));
  }
  TempDir first_, second_, empty_;
  std::string model_;
};

TEST_F(FindModel, NameIsLookedUpInFolderOrder) {
  EXPECT_EQ(colorize::find_model("m", {first_.path(), second_.path()}),
            first_.file("m.pt"));
  EXPECT_EQ(colorize::find_model("m", {second_.path(), first_.path()}),
            second_.file("m.pt"));
  EXPECT_EQ(colorize::find_model("m", {empty_.path(), second_.path()}),
            second_.file("m.pt"));
  EXPECT_EQ(colorize::find_model("only-second", {first_.path(), second_.path()}),
            second_.file("only-second.pt"));
  // the file name with its .pt ending is a name too
  EXPECT_EQ(colorize::find_model("m.pt", {empty_.path(), first_.path()}),
            first_.file("m.pt"));
}

TEST_F(FindModel, PathsAreUsedAsTheyAre) {
  EXPECT_EQ(colorize::find_model(model_, {second_.path()}), model_);
  const std::string missing = first_.file("missing.pt");
  const std::string message =
      model_error([&] { colorize::find_model(missing, {first_.path()}); });
  EXPECT_NE(message.find(missing + ": no such file"), std::string::npos) << message;
  // a directory separator makes it a path, never a name
  EXPECT_NE(model_error([&] { colorize::find_model("sub/m", {first_.path()}); }),
            "");
}

TEST_F(FindModel, NotFoundNamesTheModelAndEveryFolder) {
  const std::string message = model_error([&] {
    colorize::find_model("no-such-model",
                         {first_.path(), empty_.path(), second_.path()});
  });
  ASSERT_NE(message, "");
  EXPECT_NE(message.find("no-such-model.pt"), std::string::npos) << message;
  for (const auto &dir : {first_.path(), empty_.path(), second_.path()})
    EXPECT_NE(message.find(dir), std::string::npos) << message;
  EXPECT_NE(model_error([&] { colorize::find_model("", {first_.path()}); }), "");
}

TEST(ListModels, EveryModelOnceWithItsMetadataAndErrors) {
  TempDir first, second;
  write_described(first.file("alpha.pt"), "alpha in the first folder");
  write_described(first.file("shared.pt"), "shared in the first folder");
  // A network that fails Model::load() (1 output channel for a Lab model):
  // listed with its metadata, since listing never runs a network.
  const std::string json = colorize::serialize_model_info(
      colorize::testing::info_for(colorize::testing::tiny_unet()));
  colorize::testing::save_module(first.file("wrong-output.pt"),
                                 colorize::testing::scripted_module("x"),
                                 json.c_str());
  write_bytes(first.file("broken.pt"), "not a model file at all");
  colorize::testing::save_module(first.file("no-metadata.pt"),
                                 colorize::testing::scripted_module("x"), nullptr);
  write_bytes(first.file(".hidden.pt"), "hidden");
  write_bytes(first.file("notes.txt"), "not a model");
  std::filesystem::create_directory(first.file("folder.pt"));
  write_described(second.file("shared.pt"), "shared in the second folder");
  write_described(second.file("zeta.pt"), "zeta in the second folder");

  const std::vector<ModelEntry> list = colorize::list_models(
      {first.path(), first.file("missing-folder"), second.path()});
  std::vector<std::string> names;
  for (const auto &e : list) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"alpha", "broken", "no-metadata",
                                             "shared", "wrong-output", "zeta"}));

  const ModelEntry *alpha = entry(list, "alpha");
  ASSERT_TRUE(alpha && alpha->info) << (alpha ? alpha->error : "");
  EXPECT_EQ(alpha->path, first.file("alpha.pt"));
  EXPECT_EQ(alpha->info->description, "alpha in the first folder");
  EXPECT_EQ(alpha->info->license, "CC0-1.0");
  EXPECT_EQ(alpha->info->color_space, colorize::ColorSpace::Lab);
  EXPECT_EQ(alpha->info->input_size, 8);
  EXPECT_TRUE(alpha->error.empty());

  const ModelEntry *shared = entry(list, "shared");
  ASSERT_TRUE(shared && shared->info);
  EXPECT_EQ(shared->path, first.file("shared.pt"));
  EXPECT_EQ(shared->info->description, "shared in the first folder");

  const ModelEntry *zeta = entry(list, "zeta");
  ASSERT_TRUE(zeta && zeta->info);
  EXPECT_EQ(zeta->path, second.file("zeta.pt"));

  const ModelEntry *wrong = entry(list, "wrong-output");
  ASSERT_TRUE(wrong && wrong->info) << (wrong ? wrong->error : "");
  EXPECT_NE(model_error([&] { colorize::Model::load(wrong->path); }), "");

  const ModelEntry *broken = entry(list, "broken");
  ASSERT_TRUE(broken);
  EXPECT_FALSE(broken->info);
  EXPECT_NE(broken->error.find(first.file("broken.pt") + ": not a TorchScript model file"),
            std::string::npos) << broken->error;

  const ModelEntry *bare = entry(list, "no-metadata");
  ASSERT_TRUE(bare);
  EXPECT_FALSE(bare->info);
  EXPECT_NE(bare->error.find("has no colorize.json"), std::string::npos) << bare->error;
}

TEST(ReadModelInfo, GivesWhatModelLoadReads) {
  TempDir dir;
  const std::string path = write_described(dir.file("m.pt"), "described");
  const colorize::ModelInfo read = colorize::read_model_info(path);
  const colorize::ModelInfo loaded = colorize::Model::load(path).info();
  EXPECT_EQ(colorize::serialize_model_info(read),
            colorize::serialize_model_info(loaded));
  EXPECT_EQ(read.description, "described");

  const std::string missing = dir.file("missing.pt");
  EXPECT_EQ(model_error([&] { colorize::read_model_info(missing); }),
            missing + ": no such file");
  const std::string bad = dir.file("bad.json");
  write_bytes(bad, "{}");
  EXPECT_NE(model_error([&] { colorize::read_model_info(bad); })
                .find(bad + ": not a TorchScript model file"),
            std::string::npos);
}

}  // namespace
