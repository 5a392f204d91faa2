// See progress.h.
#include "progress.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace colorize::cli {
namespace {

constexpr gint64 kRedrawInterval = 100000;  ///< microseconds: 10 a second
constexpr int kBarCells = 12;
constexpr const char *kClearLine = "\r\033[K";

/// What is on the terminal's last line, shared with stop_progress_line(),
/// which the interrupt thread calls, and with the thread forwarding what
/// other libraries write to stderr.
std::mutex line_mutex;
bool bar_shown = false;  ///< the cursor is on a bar line
std::string last_bar;    ///< the bar's latest text
bool stopped = false;    ///< no more bars
/// Where the display writes: stderr, or a copy of it while `forwarder`
/// reads what others write to stderr from a pipe put in its place.
int out_fd = STDERR_FILENO;
int pipe_read = -1;
std::thread forwarder;
std::string pending;  ///< forwarded text not yet ended by a newline

void write_all(const std::string &text) {
  for (size_t at = 0; at < text.size();) {
    const ssize_t n = write(out_fd, text.data() + at, text.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    at += size_t(n);
  }
}

/// Writes `text` as one unit, line_mutex held: the bar (`is_bar`), or a
/// message on lines of its own that replaces any bar.
void emit_locked(const std::string &text, bool is_bar) {
  if (is_bar && stopped) return;
  write_all(bar_shown || is_bar ? kClearLine + text : text);
  bar_shown = is_bar;
  if (is_bar) last_bar = text;
}

void emit(const std::string &text, bool is_bar) {
  std::lock_guard<std::mutex> lock(line_mutex);
  emit_locked(text, is_bar);
}

/// The forwarder's loop: each whole line read from the pipe becomes a
/// message, and the bar it replaced comes back below it (no redraw may
/// follow for a while: a model pass, say); the rest is flushed when every
/// writer has gone.
void forward_lines() {
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(pipe_read, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard<std::mutex> lock(line_mutex);
    if (n <= 0) {
      if (!pending.empty()) emit_locked(pending + "\n", false);
      pending.clear();
      return;
    }
    pending.append(buffer, size_t(n));
    const size_t end = pending.rfind('\n');
    if (end == std::string::npos) continue;
    const bool had_bar = bar_shown;
    emit_locked(pending.substr(0, end + 1), false);
    pending.erase(0, end + 1);
    if (had_bar) emit_locked(last_bar, true);
  }
}

/// Puts a pipe in stderr's place, forwarded by a thread; nothing changes
/// if that cannot be done.
void start_forwarding() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;
  const int terminal = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  if (terminal < 0 || dup2(fds[1], STDERR_FILENO) < 0) {
    if (terminal >= 0) close(terminal);
    close(fds[0]);
    close(fds[1]);
    return;
  }
  close(fds[1]);
  std::lock_guard<std::mutex> lock(line_mutex);
  out_fd = terminal;
  pipe_read = fds[0];
  forwarder = std::thread(forward_lines);
}

/// Gives stderr back (line_mutex held): the pipe's last writer goes, so
/// the forwarder ends once it has read everything.
void restore_stderr_locked() {
  if (out_fd != STDERR_FILENO) dup2(out_fd, STDERR_FILENO);
}

/// Gives stderr back and waits for the forwarder to end.
void stop_forwarding() {
  {
    std::lock_guard<std::mutex> lock(line_mutex);
    if (out_fd == STDERR_FILENO) return;
    restore_stderr_locked();
  }
  if (forwarder.joinable()) forwarder.join();
  std::lock_guard<std::mutex> lock(line_mutex);
  close(out_fd);
  close(pipe_read);
  out_fd = STDERR_FILENO;
  pipe_read = -1;
}

int terminal_columns() {
  struct winsize ws {};
  if (ioctl(out_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  if (const char *columns = g_getenv("COLUMNS"))
    if (const int n = std::atoi(columns); n > 0) return n;
  return 80;
}

/// "…" where the locale's environment says UTF-8 (the program does not
/// call setlocale(), which would change how it formats numbers), else "...".
const char *ellipsis() {
  static const bool utf8 = [] {
    for (const char *name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
      const char *value = g_getenv(name);
      if (!value || !*value) continue;
      gchar *lower = g_ascii_strdown(value, -1);
      const bool yes = std::strstr(lower, "utf-8") || std::strstr(lower, "utf8");
      g_free(lower);
      return yes;
    }
    return false;
  }();
  return utf8 ? "\u2026" : "...";
}

/// `name` (UTF-8) cut in the middle to at most `room` characters.
std::string fit(const std::string &name, long room) {
  const long length = g_utf8_strlen(name.c_str(), -1);
  if (length <= room) return name;
  const long keep = std::max(room - 1, 2L);
  const long head = keep / 2, tail = keep - head;
  const char *s = name.c_str();
  const char *head_end = g_utf8_offset_to_pointer(s, head);
  const char *tail_start = g_utf8_offset_to_pointer(s, length - tail);
  return std::string(s, head_end) + ellipsis() + std::string(tail_start);
}

/// "42 s", "3 min 05 s", "2 h 07 min".
std::string duration_text(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char text[48];
  if (s < 60)
    std::snprintf(text, sizeof text, "%ld s", s);
  else if (s < 3600)
    std::snprintf(text, sizeof text, "%ld min %02ld s", s / 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%ld h %02ld min", s / 3600,
                  s / 60 % 60);
  return text;
}

}  // namespace

bool is_progress_choice(const char *choice) {
  if (!choice) return true;
  for (const char *c : {"auto", "bar", "plain"})
    if (std::strcmp(choice, c) == 0) return true;
  return false;
}

bool progress_bar_wanted(const char *choice) {
  if (!choice || std::strcmp(choice, "auto") == 0)
    return isatty(STDERR_FILENO) == 1;
  return std::strcmp(choice, "bar") == 0;
}

ProgressDisplay::ProgressDisplay(size_t total, bool bar)
    : bar_(bar), total_(std::max<size_t>(total, 1)) {
  if (bar_) start_forwarding();
}

ProgressDisplay::~ProgressDisplay() { finish(); }

void ProgressDisplay::start(size_t index, const std::string &input) {
  index_ = index;
  phase_ = Phase::Reading;
  fraction_ = 0;
  file_started_ = g_get_monotonic_time();
  const std::string counter = "[" + std::to_string(index + 1) + "/" +
                              std::to_string(total_) + "] ";
  if (!bar_) {
    emit(counter + input + "\n", false);
    return;
  }
  gchar *name = g_filename_display_basename(input.c_str());
  name_ = name;
  g_free(name);
  draw(true);
}

void ProgressDisplay::phase(Phase phase) {
  if (!bar_ || phase == phase_) return;
  phase_ = phase;
  draw(true);
}

void ProgressDisplay::fraction(double fraction) {
  if (!bar_) return;
  phase_ = Phase::Applying;
  fraction_ = std::clamp(fraction, 0.0, 1.0);
  draw(false);
}

void ProgressDisplay::done() {
  done_seconds_ += double(g_get_monotonic_time() - file_started_) / 1e6;
  ++done_files_;
}

void ProgressDisplay::say(const std::string &text) { emit(text + "\n", false); }

void ProgressDisplay::finish() {
  stop_forwarding();
  std::lock_guard<std::mutex> lock(line_mutex);
  if (bar_shown) write_all(kClearLine);
  bar_shown = false;
}

void ProgressDisplay::draw(bool force) {
  const gint64 now = g_get_monotonic_time();
  if (!force && now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  emit(line(terminal_columns(), now), true);
}

std::string ProgressDisplay::time_left(gint64 now) const {
  if (done_files_ == 0) return std::string("estimating") + ellipsis();
  const double per_file = done_seconds_ / double(done_files_);
  const double current = double(now - file_started_) / 1e6;
  const double left = std::max(per_file - current, 0.0) +
                      per_file * double(total_ - index_ - 1);
  return duration_text(left) + " left";
}

std::string ProgressDisplay::line(int columns, gint64 now) const {
  double in_file = 0;  // the current file's share done, roughly
  std::string doing;
  switch (phase_) {
    case Phase::Reading: doing = "reading"; break;
    case Phase::ModelPass: doing = "model pass"; break;
    case Phase::Applying: {
      in_file = fraction_;
      char percent[16];
      std::snprintf(percent, sizeof percent, "applying %3d%%",
                    int(fraction_ * 100.0));
      doing = percent;
      break;
    }
    case Phase::Writing: in_file = 1; doing = "writing"; break;
  }
  const double overall = (double(index_) + in_file) / double(total_);
  const int filled = std::clamp(int(overall * kBarCells), 0, kBarCells);
  const std::string head = "[" + std::string(size_t(filled), '#') +
                           std::string(size_t(kBarCells - filled), '-') +
                           "] " + std::to_string(index_ + 1) + "/" +
                           std::to_string(total_) + " ";
  const std::string tail = " | " + doing + " | " + time_left(now);
  // One column spare: a full last column makes some terminals wrap. The
  // name gets the same room in every phase, so that it does not jump.
  const long widest = long(std::strlen("applying 100%"));
  const long room = long(columns) - 1 - long(head.size()) -
                    g_utf8_strlen(tail.c_str(), -1) -
                    std::max(widest - long(doing.size()), 0L);
  return head + fit(name_, std::max(room, 8L)) + tail;
}

void stop_progress_line() {
  std::lock_guard<std::mutex> lock(line_mutex);
  stopped = true;
  if (bar_shown) write_all(kClearLine);
  bar_shown = false;
  // The forwarder is left to the end of the process.
  restore_stderr_locked();
}

}  // namespace colorize::cli
