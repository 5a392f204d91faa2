// The phases one file goes through, as the progress display names them.
#pragma once

#include <functional>

namespace colorize::cli {

enum class Phase {
  Reading,    ///< checking and decoding the input (a small copy for JPEG)
  ModelPass,  ///< the network at the working resolution
  Applying,   ///< the colours at full resolution, strip by strip
  Writing,    ///< encoding and writing the result
};

/// Told as a file enters each phase; may be empty.
using PhaseReport = std::function<void(Phase)>;

inline void report_phase(const PhaseReport &report, Phase phase) {
  if (report) report(phase);
}

}  // namespace colorize::cli
