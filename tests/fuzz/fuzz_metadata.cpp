// libFuzzer target: colorize.json parsing and validation. Any text must
// either parse into a ModelInfo that survives a serialize/parse round trip,
// or be refused with ModelError; nothing else may escape or crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "colorize/error.h"
#include "colorize/metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string text(reinterpret_cast<const char *>(data), size);
  colorize::ModelInfo info;
  try {
    info = colorize::parse_model_info(text, "fuzz.json");
  } catch (const colorize::ModelError &) {
    return 0;
  }
  // Whatever was accepted must be written back and read again unchanged.
  const std::string again = colorize::serialize_model_info(info);
  const colorize::ModelInfo reread = colorize::parse_model_info(again, "fuzz.json");
  if (colorize::serialize_model_info(reread) != again) std::abort();
  return 0;
}
