// SIGINT and SIGTERM: the first asks the program to stop where it can (the
// file being written is abandoned at the next strip, the others are not
// started); if it has not ended kGraceSeconds later, for instance because a
// model pass cannot be cut short, or at a second signal, it ends at once.
// Either way no output is left partial: results are complete files renamed
// into place, and the unfinished one's temporary file is removed (see
// output_file.h).
#pragma once

namespace colorize::cli {

/// How long the first signal waits for the program to stop by itself.
inline constexpr double kGraceSeconds = 1.0;

/// Starts watching SIGINT and SIGTERM (a thread of its own, with GLib's
/// signal sources). Call once.
void watch_interrupts();

/// True once SIGINT or SIGTERM has arrived.
bool interrupted();

}  // namespace colorize::cli
