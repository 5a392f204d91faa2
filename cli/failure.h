// How the colorize program reports a file (or the model) that failed: one
// line each; running out of memory says so plainly, whichever library ran
// out (LibTorch, OpenCV, the C++ allocator).
#pragma once

#include <exception>
#include <string>

namespace colorize::cli {

/// "out of memory while <doing> (<what could not be allocated>)" (without
/// "while <doing>" when `doing` is empty) when `e`
/// reports that memory ran out: std::bad_alloc, colorize::OutOfMemory,
/// cv::Exception with StsNoMem, or any error whose text reports a failed
/// LibTorch allocation; "" for other errors. `verbose` adds the full
/// report (LibTorch's with its traceback, OpenCV's with the source line)
/// on the lines after it.
std::string out_of_memory_report(const std::string &doing,
                                 const std::exception &e, bool verbose);

/// The report of a file that failed: the out-of-memory line, or
/// "<input>: <reason>" ending with the option that lets such a file
/// through (--accept-corrupt, --max-megapixels) where there is one.
std::string failure_report(const std::string &input, const std::exception &e,
                           bool verbose);

}  // namespace colorize::cli
