/* Test build of the plug-in only (COLORIZE_TESTING; never installed). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Ends the plug-in at once when the progress reaches the fraction in
 * COLORIZE_TEST_EXIT_AT, as GIMP 3.0 ends a plug-in cancelled from its
 * status bar. */
void colorize_testing_progress (gdouble fraction);

G_END_DECLS
