// LibTorch's CPU allocator wrapped so that a large block is advised before
// its first touch (see use_huge_pages()). The wrapped allocator makes and
// frees every block; LibTorch's memory reporting and alignment are
// untouched.
#include "torch_huge_pages.h"

#include <mutex>

#include <c10/core/CPUAllocator.h>
#include <torch/version.h>

#include "colorize/memory.h"

namespace colorize::detail {
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

}  // namespace

void use_huge_pages_for_tensors() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Never freed: tensors may outlive main().
    static HugePageTensorAllocator tensors(c10::GetDefaultCPUAllocator());
    c10::SetCPUAllocator(&tensors, /*priority=*/1);
  });
}

}  // namespace colorize::detail
