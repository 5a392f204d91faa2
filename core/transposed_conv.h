// Stride-2 transposed convolutions computed as four ordinary ones, in
// libcolorize-torch.
//
// A Pix2Pix U-Net doubles its size in the decoder with transposed
// convolutions of kernel 4, stride 2 and padding 1. LibTorch 1.13 runs
// those on the CPU with slow_conv_transpose2d: a GEMM into a column buffer
// that it zeroes first, then a col2im scatter on one thread (60 % of the
// standard 54 M U-Net's forward at 512x256). Each of the four output phases
// (even or odd row, even or odd column) is an ordinary 2x2 convolution of
// the input padded by one pixel, with a quarter of the kernel, which oneDNN
// runs several times faster. LibTorch 2 runs transposed convolutions with
// oneDNN itself, as fast as the split form or faster, so there core leaves
// them as they are.
#pragma once

#include <cstdint>

namespace torch::jit {
struct Module;
}

namespace colorize::detail {

/// Layers whose weights have more elements than this keep the transposed
/// convolution. On an input of a few pixels (a U-Net's innermost layers)
/// reading the weights costs more than the arithmetic, and the split form
/// is slower: in the standard 54 M U-Net at 512x256 its four 1024 or 512 to
/// 512 channel layers take about 10 ms more each on their 1x2 and 2x4
/// inputs, and 15 and 40 ms less on their 4x8 and 8x16 ones. Wider
/// layers than these are left whole, unmeasured.
constexpr int64_t kMaxSplitWeights = int64_t{1} << 23;

/// Whether the split form is the faster one with the LibTorch core is built
/// against (1.x; see bench/README.md).
bool split_is_faster();

/// Rewrites in place every call of aten::conv_transpose2d in `module`'s
/// methods whose weight is a tensor attribute of the calling module that
/// nothing else reads, whose stride, padding and dilation are constants of
/// 2, 1 and 1 or unknown until run time, and whose weight (in every instance
/// of that module type) is a float32 [Cin, Cout, 4, 4] tensor with Cout >=
/// 16 and at most kMaxSplitWeights elements. Each such weight is replaced
/// by its four 2x2 phase kernels (the same elements, reordered), and the
/// call by colorize::conv_transpose2d_phases, which computes the transposed
/// convolution from them (falling back to aten::conv_transpose2d with the
/// weight put back together when the arguments at run time differ). The
/// result equals the original up to float rounding. For inference on the
/// CPU only; the module must not be trained or saved afterwards. Returns
/// the number of module instances whose weight was replaced.
int split_transposed_convolutions(torch::jit::Module &module);

}  // namespace colorize::detail
