// Core's LibTorch side (libcolorize-torch) in a program that does not link
// LibTorch: it is loaded on first use, on another thread when preloaded,
// and the program's choices made before it loaded apply to it. The
// program links core only, as the colorize command and the plug-in do.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include <glib.h>
#include <opencv2/core.hpp>

#include "colorize/error.h"
#include "colorize/memory.h"
#include "colorize/model.h"

namespace {

/// Whether LibTorch's main library is mapped into this process.
bool libtorch_loaded() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find("libtorch_cpu.so") != std::string::npos) return true;
  return false;
}

/// LibTorch's at::get_num_threads(), looked up once LibTorch is loaded.
int libtorch_threads() {
  auto *get = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "_ZN2at15get_num_threadsEv"));
  if (get == nullptr) {
    ADD_FAILURE() << "at::get_num_threads not found";
    return -1;
  }
  return get();
}

std::string default_model() {
  const char *data = g_getenv("COLORIZE_TEST_DATA");
  return std::string(data ? data : "tests/data") + "/../../models/colorize-default.pt";
}

}  // namespace

TEST(Runtime, LoadsOnFirstUseWithTheChoicesMadeBefore) {
#ifdef COLORIZE_TORCH_AT_START
  // An AddressSanitizer build loads it as the program starts (core/meson.build).
  EXPECT_TRUE(libtorch_loaded());
  colorize::set_cpu_threads(1);
  colorize::use_huge_pages();
#else
  EXPECT_FALSE(libtorch_loaded()) << "LibTorch was loaded as the program started";
  colorize::set_cpu_threads(1);
  colorize::use_huge_pages();
  EXPECT_FALSE(libtorch_loaded());
#endif

  colorize::preload_model_runtime();
  colorize::preload_model_runtime();  // a second call changes nothing
  colorize::load_model_runtime();     // waits for the preload
  EXPECT_TRUE(libtorch_loaded());
  EXPECT_EQ(libtorch_threads(), 1);
  colorize::set_cpu_threads(2);  // once loaded, applied at once
  EXPECT_EQ(libtorch_threads(), 2);

  // A model loads and runs through it; its errors keep their types.
  const colorize::Model model = colorize::Model::load(default_model());
  const int m = model.info().size_multiple;
  const cv::Mat out = model.forward(cv::Mat(m, 2 * m, CV_32FC(model.info().input_channels()), cv::Scalar::all(0)));
  EXPECT_EQ(out.size(), cv::Size(2 * m, m));
  EXPECT_EQ(out.channels(), model.info().output_channels());
  EXPECT_THROW(colorize::Model::load(g_getenv("COLORIZE_TEST_DATA") + std::string("/LICENSES.txt")),
               colorize::ModelError);
  EXPECT_THROW(model.forward(cv::Mat(m, m, CV_8UC1)), colorize::ImageError);
  EXPECT_EQ(colorize::read_model_info(default_model()).size_multiple, m);
}
