// The progress of a run on stderr. As a bar: one line redrawn in place
// (carriage return) with file k of n, the current file's phase and the time
// left, estimated from the files done so far. Plain: one line per file
// ("[k/n] <file>"), nothing else. Either way messages (warnings, errors)
// get lines of their own, the bar cleared before them.
#pragma once

#include <cstddef>
#include <string>

#include <glib.h>

#include "phase.h"

namespace colorize::cli {

/// Whether --progress (`choice`: "auto", "bar" or "plain"; nullptr is
/// "auto") means a bar: "auto" does when stderr is a terminal.
bool progress_bar_wanted(const char *choice);

/// True for the values --progress takes.
bool is_progress_choice(const char *choice);

class ProgressDisplay {
 public:
  /// With a bar, what other libraries write to stderr (libpng's
  /// warnings, say) is shown on lines of its own too, until finish().
  ProgressDisplay(size_t total, bool bar);
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay &) = delete;
  ProgressDisplay &operator=(const ProgressDisplay &) = delete;

  /// File `index` (from 0) begins: a plain line, or the bar drawn at once.
  void start(size_t index, const std::string &input);
  /// The current file enters `phase`; drawn at once.
  void phase(Phase phase);
  /// Fraction of the applying phase done, in [0, 1]; drawn at most ten
  /// times a second.
  void fraction(double fraction);
  /// The current file is done: its time counts for the estimate.
  void done();
  /// `text` on a line of its own (or several), the bar cleared first.
  void say(const std::string &text);
  /// The end: clears the bar, leaving the cursor at the start of an empty
  /// line, and gives stderr back.
  void finish();

 private:
  void draw(bool force);
  /// The bar's text for a terminal `columns` wide, at `now`
  /// (g_get_monotonic_time()).
  std::string line(int columns, gint64 now) const;
  std::string time_left(gint64 now) const;

  bool bar_;
  size_t total_;
  size_t index_ = 0;
  std::string name_;  ///< the current file's name, for display
  Phase phase_ = Phase::Reading;
  double fraction_ = 0;
  gint64 file_started_ = 0;
  gint64 last_draw_ = 0;
  double done_seconds_ = 0;  ///< time of the files done
  size_t done_files_ = 0;
};

/// Clears the bar if one is shown and draws it no more; for the last
/// words of an interrupted run (any thread).
void stop_progress_line();

}  // namespace colorize::cli
