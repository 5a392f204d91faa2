// use_huge_pages(): large LibTorch and OpenCV blocks are advised for
// transparent huge pages, small ones and the caller's own memory are not,
// and the wrapped allocators still make and free every block. The advice
// is read back from the kernel (the "hg" flag of /proc/self/smaps).
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <c10/core/CPUAllocator.h>
#include <opencv2/core.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "colorize/memory.h"
#include "colorize/model.h"

namespace {

constexpr uintptr_t kHuge = uintptr_t(2) << 20;

/// Whether the mapping holding `address` carries the huge-page advice.
bool advised_at(uintptr_t address) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> begin >> dash >> end && dash == '-' && line.find(':') > line.find(' ')) {
      inside = begin <= address && address < end;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return (line + " ").find(" hg ") != std::string::npos;
    }
  }
  ADD_FAILURE() << "no mapping holds 0x" << std::hex << address;
  return false;
}

/// The first 2 MiB-aligned address inside a block at `data`.
uintptr_t first_window(const void *data) {
  return (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
}

bool kernel_has_huge_pages() {
  return std::filesystem::exists("/sys/kernel/mm/transparent_hugepage/enabled");
}

}  // namespace

TEST(HugePages, AdviceCoversWholeWindowsOnly) {
  if (!kernel_has_huge_pages()) GTEST_SKIP() << "this kernel has no transparent huge pages";
  const size_t size = 12 * kHuge;
  void *mapping = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mapping, MAP_FAILED);
  const uintptr_t window = first_window(mapping);
  auto *block = reinterpret_cast<char *>(window + 4096);  // starts one page past a window

  EXPECT_FALSE(colorize::detail::advise_huge_pages(nullptr, 4 * kHuge));
  EXPECT_FALSE(colorize::detail::advise_huge_pages(block, kHuge));  // no whole window inside
  EXPECT_FALSE(advised_at(window + kHuge));

  ASSERT_TRUE(colorize::detail::advise_huge_pages(block, 4 * kHuge));
  EXPECT_FALSE(advised_at(reinterpret_cast<uintptr_t>(block))) << "the head before the first window";
  EXPECT_TRUE(advised_at(window + kHuge));
  EXPECT_TRUE(advised_at(window + 3 * kHuge));
  EXPECT_FALSE(advised_at(window + 4 * kHuge)) << "the tail after the last whole window";
  std::memset(block, 7, 4 * kHuge);
  EXPECT_EQ(block[4 * kHuge - 1], 7);
  munmap(mapping, size);
}

TEST(HugePages, LargeTensorsAndMatricesAreAdvisedOnceChosen) {
  if (!kernel_has_huge_pages()) GTEST_SKIP() << "this kernel has no transparent huge pages";
  const size_t large = 4 * colorize::kHugePageAdviceMinBytes;
  {
    c10::DataPtr before = c10::GetCPUAllocator()->allocate(large);
    EXPECT_FALSE(advised_at(first_window(before.get()))) << "advised before use_huge_pages()";
  }

  colorize::use_huge_pages();
  colorize::use_huge_pages();  // a second call changes nothing
  // Core's LibTorch side takes the choice as it loads (or at once when the
  // program linked it).
  colorize::load_model_runtime();
  EXPECT_NE(c10::GetCPUAllocator(), c10::GetDefaultCPUAllocator());
  EXPECT_NE(cv::Mat::getDefaultAllocator(), cv::Mat::getStdAllocator());

  c10::DataPtr tensor = c10::GetCPUAllocator()->allocate(large);
  ASSERT_NE(tensor.get(), nullptr);
  EXPECT_TRUE(advised_at(first_window(tensor.get())));
  std::memset(tensor.get(), 1, large);
  EXPECT_EQ(static_cast<const char *>(tensor.get())[large - 1], 1);
  c10::DataPtr small = c10::GetCPUAllocator()->allocate(64 << 10);
  ASSERT_NE(small.get(), nullptr);
  std::memset(small.get(), 2, 64 << 10);

  cv::Mat image(3000, 2000, CV_32FC3, cv::Scalar(0.25f, 0.5f, 0.75f));
  EXPECT_TRUE(advised_at(first_window(image.data)));
  EXPECT_EQ(image.at<cv::Vec3f>(2999, 1999), cv::Vec3f(0.25f, 0.5f, 0.75f));
  cv::Mat copy = image.clone();
  EXPECT_EQ(cv::norm(image, copy, cv::NORM_INF), 0.0);

  // The caller's own memory is wrapped as it is, never advised.
  void *own = mmap(nullptr, large, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(own, MAP_FAILED);
  {
    cv::Mat view(1000, 1000, CV_32FC4, own);
    view.setTo(cv::Scalar::all(3));
    EXPECT_EQ(view.data, own);
  }
  EXPECT_FALSE(advised_at(first_window(own)));
  munmap(own, large);
}
