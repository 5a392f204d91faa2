// A model that runs out of memory in its model pass, for the tests of how
// that is reported.
#pragma once

namespace colorize::testing {

/// A forward() body for scripted_module() that runs out of memory: fine for
/// the load-time check (8x8), it asks for 2^60 floats once the input is
/// wider. (Scaling by a number keeps the graph free of fusable broadcasts,
/// which LibTorch 2.6's tensor-expression fuser can take minutes to
/// compile for a new input shape.)
inline constexpr const char *kGreedyForward =
    "torch.cat([x, x], 1) * torch.zeros([min(x.size(3) - 8, 1) * 1152921504606846976 + 1])"
    ".sum().item()";

}  // namespace colorize::testing
