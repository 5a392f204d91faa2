// Error types thrown by the colorize core. Every message names the file or
// value at fault and the problem, so callers can show it unchanged.
#pragma once

#include <stdexcept>
#include <string>

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

/// The caller's progress callback asked to stop.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
};

}  // namespace colorize
