/* Test build of the plug-in only (COLORIZE_TESTING; never installed). */
#include "plugin-testing.h"

#include <unistd.h>

void
colorize_testing_progress (gdouble fraction)
{
  const gchar *exit_at = g_getenv ("COLORIZE_TEST_EXIT_AT");

  if (exit_at && fraction >= g_ascii_strtod (exit_at, NULL))
    _exit (3);
}
