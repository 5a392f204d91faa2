// use_huge_pages(): LibTorch's CPU allocator and OpenCV's matrix allocator,
// each wrapped so that a large block is advised before its first touch.
// The wrapped allocator makes and frees every block (LibTorch's memory
// reporting and alignment, OpenCV's reference counts are untouched); the
// wrappers only add the advice.
#include "colorize/memory.h"

#include <sys/mman.h>

#include <cstdint>
#include <mutex>

#include <c10/core/CPUAllocator.h>
#include <opencv2/core.hpp>
#include <torch/version.h>

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

class HugePageTensorAllocator final : public c10::Allocator {
 public:
  explicit HugePageTensorAllocator(c10::Allocator *base) : base_(base) {}

#if TORCH_VERSION_MAJOR >= 2
  c10::DataPtr allocate(size_t n) override {
#else
  c10::DataPtr allocate(size_t n) const override {
#endif
    c10::DataPtr block = base_->allocate(n);
    if (n >= kHugePageAdviceMinBytes) detail::advise_huge_pages(block.get(), n);
    return block;
  }
  c10::DeleterFnPtr raw_deleter() const override { return base_->raw_deleter(); }
#if TORCH_VERSION_MAJOR >= 2
  void copy_data(void *dest, const void *src, std::size_t count) const override {
    default_copy_data(dest, src, count);
  }
#endif

 private:
  c10::Allocator *base_;
};

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
    // Never freed: tensors and matrices may outlive main().
    static HugePageTensorAllocator tensors(c10::GetDefaultCPUAllocator());
    static HugePageMatAllocator mats(cv::Mat::getStdAllocator());
    c10::SetCPUAllocator(&tensors, /*priority=*/1);
    cv::Mat::setDefaultAllocator(&mats);
  });
}

}  // namespace colorize
