// See failure.h.
#include "failure.h"

#include <new>

#include <opencv2/core.hpp>

#include "colorize/error.h"
#include "image_check.h"

namespace colorize::cli {
namespace {

/// The line of `text` where LibTorch reports a failed allocation (as the
/// core does; the text of an error that did not pass through it), or "".
std::string torch_allocation_line(const std::string &text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    for (const char *t : {"out of memory", "can't allocate memory",
                          "not enough memory"})
      if (line.find(t) != std::string::npos) return line;
    start = end + 1;
  }
  return {};
}

}  // namespace

std::string out_of_memory_report(const std::string &doing,
                                 const std::exception &e, bool verbose) {
  std::string summary, full = e.what();
  if (const auto *oom = dynamic_cast<const OutOfMemory *>(&e)) {
    summary = oom->reason();
    full = oom->detail();
  } else if (const auto *cv_error = dynamic_cast<const cv::Exception *>(&e)) {
    if (cv_error->code == cv::Error::StsNoMem) summary = "OpenCV: " + cv_error->err;
  } else if (dynamic_cast<const std::bad_alloc *>(&e)) {
    summary = e.what();
  } else {
    summary = torch_allocation_line(full);
  }
  if (summary.empty()) return {};
  std::string report = "out of memory " +
                       (doing.empty() ? "" : "while " + doing + " ") + "(" +
                       summary + ")";
  if (verbose && full != summary) report += "\n" + full;
  return report;
}

std::string failure_report(const std::string &input, const std::exception &e,
                           bool verbose) {
  const std::string oom = out_of_memory_report("colorizing " + input, e, verbose);
  if (!oom.empty()) return oom;
  std::string report = input + ": " + e.what();
  if (dynamic_cast<const CorruptJpeg *>(&e))
    report += "; --accept-corrupt colorizes it anyway";
  else if (dynamic_cast<const TooLarge *>(&e))
    report += "; --max-megapixels raises the limit";
  return report;
}

}  // namespace colorize::cli
