// The dialog's working-resolution choices (plugin/colorize-dialog.h), built
// against the libgimpui of the GIMP the plug-in is built for. No display
// needed: the choices are a list store, not widgets.

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

extern "C" {
#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include "colorize-dialog.h"
}

namespace {

// (value, label) of every row.
std::vector<std::pair<int, std::string>> rows(GtkListStore *store) {
  std::vector<std::pair<int, std::string>> out;
  GtkTreeModel *model = GTK_TREE_MODEL(store);
  GtkTreeIter iter;
  for (gboolean ok = gtk_tree_model_get_iter_first(model, &iter); ok;
       ok = gtk_tree_model_iter_next(model, &iter)) {
    gint value = 0;
    gchar *label = nullptr;
    gtk_tree_model_get(model, &iter, GIMP_INT_STORE_VALUE, &value,
                       GIMP_INT_STORE_LABEL, &label, -1);
    out.emplace_back(value, label ? label : "");
    g_free(label);
  }
  return out;
}

TEST(PluginDialog, ResolutionsStartWithTheModelsOwnAndGrow) {
  GtkListStore *store = colorize_resolution_store_new(0);
  auto r = rows(store);
  ASSERT_GE(r.size(), 5u);
  EXPECT_EQ(r[0].first, 0);
  EXPECT_EQ(r[0].second, "Model's own");
  EXPECT_EQ(r[1], std::make_pair(128, std::string("128 px")));
  for (size_t i = 2; i < r.size(); ++i) EXPECT_GT(r[i].first, r[i - 1].first);
  EXPECT_LE(r.back().first, colorize_max_resolution());

  colorize_resolution_store_set_model_size(store, 192);
  EXPECT_EQ(rows(store)[0].second, "Model's own (192 px)");
  colorize_resolution_store_set_model_size(store, 0);  // not known (yet)
  EXPECT_EQ(rows(store)[0].second, "Model's own");
  g_object_unref(store);
}

// A value set earlier (last values, a batch call) keeps its place in order.
TEST(PluginDialog, ACurrentValueOffTheListIsAddedInOrder) {
  for (int current : {300, 100, 3000}) {
    GtkListStore *store = colorize_resolution_store_new(current);
    auto r = rows(store);
    int found = 0;
    for (size_t i = 0; i < r.size(); ++i) {
      found += r[i].first == current;
      if (i > 1) {
        EXPECT_GT(r[i].first, r[i - 1].first) << current;
      }
    }
    EXPECT_EQ(found, 1) << current;
    g_object_unref(store);
  }
}

}  // namespace
