// The phases one file goes through, as the progress display names them.
#pragma once

#include <functional>

#include "colorize/run.h"

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

/// A stage of core's run() as the phase it is part of.
inline Phase phase_of(RunStage stage) {
  switch (stage) {
    case RunStage::Reading: return Phase::Reading;
    case RunStage::ModelPass: return Phase::ModelPass;
    case RunStage::Applying: break;
  }
  return Phase::Applying;
}

}  // namespace colorize::cli
