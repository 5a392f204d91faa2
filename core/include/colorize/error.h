// Error types thrown by the colorize core. Every message names the file or
// value at fault and the problem, so callers can show it unchanged.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace colorize {

/// Base class of every error the core throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A model file is missing, unreadable, not TorchScript, has invalid
/// metadata, or its forward() returns the wrong shape or NaN / Inf.
class ModelError : public Error {
 public:
  using Error::Error;
};

/// The requested device cannot be used (e.g. CUDA asked for but absent).
class DeviceError : public Error {
 public:
  using Error::Error;
};

/// An image has a type, depth or size the pipeline cannot handle.
class ImageError : public Error {
 public:
  using Error::Error;
};

/// Memory ran out in the model pass (LibTorch could not allocate, on the
/// CPU or the GPU). what() is one line: "<model>: out of memory in " +
/// reason(); reason() says which pass and which allocation failed;
/// detail() is LibTorch's whole report.
class OutOfMemory : public Error {
 public:
  OutOfMemory(const std::string &model, std::string reason, std::string detail)
      : Error(model + ": out of memory in " + reason),
        reason_(std::move(reason)), detail_(std::move(detail)) {}
  const std::string &reason() const { return reason_; }
  const std::string &detail() const { return detail_; }

 private:
  std::string reason_;
  std::string detail_;
};

/// The caller's progress callback asked to stop.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
};

}  // namespace colorize
