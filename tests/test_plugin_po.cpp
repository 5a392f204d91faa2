// The plug-in's translations: every user-visible string of the plug-in's
// sources (whatever xgettext finds in po/POTFILES) is translated, not
// fuzzy, in every language of po/LINGUAS, and the catalogs compile.

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <glib.h>
#include <gtest/gtest.h>

#include "support.h"

namespace {

using colorize::testing::TempDir;

std::string source_root() {
  const char *root = g_getenv("COLORIZE_SOURCE_ROOT");
  EXPECT_NE(root, nullptr) << "COLORIZE_SOURCE_ROOT is not set";
  return root ? root : "";
}

std::vector<std::string> lines(const std::string &path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::vector<std::string> result;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#')
      result.push_back(line);
  return result;
}

// Runs argv in `dir`; returns exit status, stdout+stderr in *output.
int run(const std::vector<std::string> &args, const std::string &dir,
        std::string *output) {
  std::vector<const char *> argv;
  for (const auto &a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  gchar *out = nullptr, *err = nullptr;
  gint status = -1;
  GError *error = nullptr;
  if (!g_spawn_sync(dir.c_str(), const_cast<gchar **>(argv.data()), nullptr,
                    G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, &err,
                    &status, &error)) {
    *output = error->message;
    g_error_free(error);
    return -1;
  }
  *output = std::string(out) + err;
  g_free(out);
  g_free(err);
  return g_spawn_check_wait_status(status, nullptr) ? 0 : 1;
}

class PluginTranslations : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    for (const char *tool : {"xgettext", "msgcmp", "msgfmt"}) {
      gchar *path = g_find_program_in_path(tool);
      if (!path)
        GTEST_SKIP() << tool << " (gettext) is not installed";
      g_free(path);
    }
  }
};

TEST(PluginTranslationsList, HasGermanAndFrench) {
  auto langs = lines(source_root() + "/po/LINGUAS");
  EXPECT_NE(std::find(langs.begin(), langs.end(), "de"), langs.end());
  EXPECT_NE(std::find(langs.begin(), langs.end(), "fr"), langs.end());
}

TEST_P(PluginTranslations, CoverEverySourceString) {
  const std::string root = source_root();
  TempDir dir;
  const std::string pot = dir.file("current.pot");
  std::vector<std::string> xgettext = {
    "xgettext", "--from-code=UTF-8", "--keyword=_", "--keyword=N_",
    "-o", pot};
  for (const auto &file : lines(root + "/po/POTFILES"))
    xgettext.push_back(file);
  std::string output;
  ASSERT_EQ(run(xgettext, root, &output), 0) << output;

  const std::string po = root + "/po/" + GetParam() + ".po";
  // every msgid of the sources is in the catalog, none fuzzy or empty
  EXPECT_EQ(run({"msgcmp", po, pot}, root, &output), 0) << output;
  ASSERT_EQ(run({"msgfmt", "-c", "--statistics", "-o", "/dev/null", po},
                root, &output), 0) << output;
  EXPECT_EQ(output.find("untranslated"), std::string::npos) << output;
  EXPECT_EQ(output.find("fuzzy"), std::string::npos) << output;
}

TEST(PluginTranslationsList, PotfilesListsEverySourceWithStrings) {
  const std::string root = source_root();
  auto listed = lines(root + "/po/POTFILES");
  GDir *dir = g_dir_open((root + "/plugin").c_str(), 0, nullptr);
  ASSERT_NE(dir, nullptr);
  while (const char *name = g_dir_read_name(dir)) {
    if (!g_str_has_suffix(name, ".c") && !g_str_has_suffix(name, ".cpp"))
      continue;
    std::ifstream in(root + "/plugin/" + name);
    std::stringstream text;
    text << in.rdbuf();
    const std::string s = text.str();
    if (s.find("_ (\"") == std::string::npos &&
        s.find("_(\"") == std::string::npos)
      continue;
    const std::string rel = std::string("plugin/") + name;
    EXPECT_NE(std::find(listed.begin(), listed.end(), rel), listed.end())
        << rel << " has translatable strings but is not in po/POTFILES";
  }
  g_dir_close(dir);
}

INSTANTIATE_TEST_SUITE_P(Languages, PluginTranslations,
                         ::testing::Values("de", "fr"));

}  // namespace
