/* Test build of the plug-in only (COLORIZE_TESTING; never installed). */
#include "plugin-testing.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void
colorize_testing_progress (gdouble fraction)
{
  const gchar *exit_at = g_getenv ("COLORIZE_TEST_EXIT_AT");

  if (exit_at && fraction >= g_ascii_strtod (exit_at, NULL))
    _exit (3);
}

void
colorize_testing_reset_peak_rss (void)
{
  FILE *f = fopen ("/proc/self/clear_refs", "w");

  if (f)
    {
      fputs ("5", f);
      fclose (f);
    }
}

void
colorize_testing_print_peak_rss (void)
{
  gchar       *status = NULL;
  const gchar *line;
  gchar        value[64] = "?";

  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL) &&
      (line = strstr (status, "VmHWM:")))
    sscanf (line, "VmHWM: %40[^\n]", value);
  g_free (status);
  g_debug ("peak RSS %s", g_strstrip (value));
}
