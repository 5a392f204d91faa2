// How the large buffers of a program are backed by memory: a choice of the
// program, made once before its work starts, like set_cpu_threads().
#pragma once

#include <cstddef>

namespace colorize {

/// Blocks of at least this size are advised (use_huge_pages()).
inline constexpr size_t kHugePageAdviceMinBytes = size_t(4) << 20;

/// Asks the kernel to back every LibTorch tensor and OpenCV matrix of at
/// least kHugePageAdviceMinBytes with transparent huge pages
/// (madvise(MADV_HUGEPAGE) on the 2 MiB-aligned part of each block), where
/// the system allows them ("madvise" or "always" in
/// /sys/kernel/mm/transparent_hugepage/enabled; with "always" nothing
/// changes, with "never" the advice is ignored). A first touch of such a
/// block then maps 2 MiB instead of 4 KiB: a 24 MP run with a 54 M-parameter
/// model makes about a third of the page faults (the default model's run,
/// with few such blocks, about as many). It wraps LibTorch's CPU allocator
/// (when core loads LibTorch, or at once when it is loaded) and OpenCV's
/// default matrix allocator, which still allocate and free every block, so
/// it is process-wide: call it from main(), before any tensor or matrix
/// that should profit is made. Later calls do nothing.
void use_huge_pages();

namespace detail {

/// madvise(MADV_HUGEPAGE) on the whole 2 MiB windows inside
/// [data, data + size); returns whether there was one to advise.
bool advise_huge_pages(void *data, size_t size);

}  // namespace detail
}  // namespace colorize
