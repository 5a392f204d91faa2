// libFuzzer target: the model archive check that runs before LibTorch reads
// a file (core/model_archive.h). Any bytes must be accepted or refused with
// ModelError; nothing else may escape, crash, or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>

#include "colorize/error.h"
#include "model_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string bytes(reinterpret_cast<const char *>(data), size);
  try {
    colorize::detail::check_archive(bytes, "fuzz.pt");
  } catch (const colorize::ModelError &) {
  }
  return 0;
}
