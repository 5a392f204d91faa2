// use_huge_pages(): OpenCV's matrix allocator, wrapped so that a large
// block is advised before its first touch (LibTorch's CPU allocator is
// wrapped the same way by torch_huge_pages.cpp). The wrapped allocator
// makes and frees every block (OpenCV's reference counts are untouched);
// the wrapper only adds the advice.
#include "colorize/memory.h"

#include <sys/mman.h>

#include <cstdint>
#include <mutex>

#include <opencv2/core.hpp>

#include "runtime.h"

namespace colorize {
namespace detail {

bool advise_huge_pages(void *data, size_t size) {
  constexpr uintptr_t kHuge = uintptr_t(2) << 20;
  const auto begin = reinterpret_cast<uintptr_t>(data);
  const uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t last = (begin + size) & ~(kHuge - 1);
  if (data == nullptr || last <= first) return false;
  // Advice only: a kernel without transparent huge pages refuses it, and
  // the block works the same.
  return madvise(reinterpret_cast<void *>(first), last - first, MADV_HUGEPAGE) == 0;
}

}  // namespace detail

namespace {

class HugePageMatAllocator final : public cv::MatAllocator {
 public:
  explicit HugePageMatAllocator(cv::MatAllocator *base) : base_(base) {}

  cv::UMatData *allocate(int dims, const int *sizes, int type, void *data, size_t *step,
                         cv::AccessFlag flags, cv::UMatUsageFlags usage) const override {
    cv::UMatData *u = base_->allocate(dims, sizes, type, data, step, flags, usage);
    // `data` set: the caller's own memory, not allocated here.
    if (u != nullptr && data == nullptr && u->size >= kHugePageAdviceMinBytes)
      detail::advise_huge_pages(u->origdata, u->size);
    return u;
  }
  bool allocate(cv::UMatData *u, cv::AccessFlag flags, cv::UMatUsageFlags usage) const override {
    return base_->allocate(u, flags, usage);
  }
  // The base sets itself as each block's allocator, so it frees them.
  void deallocate(cv::UMatData *u) const override { base_->deallocate(u); }

 private:
  cv::MatAllocator *base_;
};

}  // namespace

void use_huge_pages() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Never freed: matrices may outlive main().
    static HugePageMatAllocator mats(cv::Mat::getStdAllocator());
    cv::Mat::setDefaultAllocator(&mats);
  });
  detail::use_huge_pages_in_runtime();
}

}  // namespace colorize
