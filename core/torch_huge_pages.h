// The LibTorch half of use_huge_pages() (colorize/memory.h), in
// libcolorize-torch.
#pragma once

namespace colorize::detail {

/// Wraps LibTorch's CPU allocator so that every block of at least
/// kHugePageAdviceMinBytes is advised for huge pages. Later calls do
/// nothing.
void use_huge_pages_for_tensors();

}  // namespace colorize::detail
