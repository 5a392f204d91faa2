// See interrupt.h.
#include "interrupt.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include <glib-unix.h>
#include <glib.h>
#include <unistd.h>

#include "command_line.h"
#include "output_file.h"
#include "progress.h"

namespace colorize::cli {
namespace {

std::atomic<bool> requested{false};

[[noreturn]] void end_now() {
  discard_unfinished_outputs();
  stop_progress_line();
  std::fprintf(stderr, "%scolorize: interrupted; the file in progress is "
               "not written\n", isatty(STDERR_FILENO) ? "\r\033[K" : "");
  std::fflush(stderr);
  _exit(kExitInterrupted);
}

gboolean on_grace_over(gpointer) { end_now(); }

gboolean on_signal(gpointer context) {
  if (requested.exchange(true)) end_now();
  GSource *timeout = g_timeout_source_new(guint(kGraceSeconds * 1000));
  g_source_set_callback(timeout, on_grace_over, nullptr, nullptr);
  g_source_attach(timeout, static_cast<GMainContext *>(context));
  g_source_unref(timeout);
  return G_SOURCE_CONTINUE;
}

}  // namespace

void watch_interrupts() {
  GMainContext *context = g_main_context_new();
  for (int signal : {SIGINT, SIGTERM}) {
    GSource *source = g_unix_signal_source_new(signal);
    g_source_set_callback(source, on_signal, context, nullptr);
    g_source_attach(source, context);
    g_source_unref(source);
  }
  // Runs until the process ends; never joined.
  std::thread([context] {
    g_main_context_push_thread_default(context);
    GMainLoop *loop = g_main_loop_new(context, FALSE);
    g_main_loop_run(loop);
  }).detach();
}

bool interrupted() { return requested.load(); }

}  // namespace colorize::cli
