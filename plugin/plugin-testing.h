/* Test build of the plug-in only (COLORIZE_TESTING; never installed). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Ends the plug-in at once when the progress reaches the fraction in
 * COLORIZE_TEST_EXIT_AT, as GIMP 3.0 ends a plug-in cancelled from its
 * status bar. */
void colorize_testing_progress (gdouble fraction);

/* Restarts the peak-RSS count of this process (Linux; babl's cache loading
 * in gegl_init makes a short spike that is not the plug-in's to measure). */
void colorize_testing_reset_peak_rss (void);

/* Prints "peak RSS <VmHWM>" as a debug message, for the benchmark. */
void colorize_testing_print_peak_rss (void);

G_END_DECLS
