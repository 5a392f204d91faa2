// The standard 54 M-parameter Pix2Pix generator (colorize-train's default
// architecture, untrained: weights do not change speed) as a model file,
// for the benchmarks.
#pragma once

#include <string>

namespace bench {

/// Writes DIR/unet-standard.pt unless it exists; returns its path.
std::string standard_unet(const std::string &dir);

}  // namespace bench
