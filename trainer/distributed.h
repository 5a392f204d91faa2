// Data-parallel training across processes on LibTorch's own engine, c10d:
// rendezvous through a TCPStore served by rank 0, collectives through
// ProcessGroupGloo on the CPU or ProcessGroupNCCL on CUDA (when the build has
// it). The C++ frontend has no DistributedDataParallel module, so the pieces
// a training loop needs are here: broadcast from rank 0, gradients averaged
// over the ranks in buckets, means and sums of small values, text from
// rank 0, barriers. Every collective is bounded by the run's timeout, and a
// rank that stops (its connections close) makes the others' next collective
// fail at once with a DistributedError.
//
// The launch convention is torchrun's: RANK, WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT and LOCAL_RANK (or the same as options, see DistOptions).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/types.h>

#include "options.h"

namespace colorize::train {

/// A collective or the rendezvous failed: another rank stopped, the network
/// failed or the timeout passed. The message is one line for the user.
class DistributedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// True when this build has c10d (TCPStore and ProcessGroupGloo).
bool distributed_available();

/// `o` with what it leaves open taken from the environment (`env`, e.g.
/// std::getenv: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), then
/// the defaults (one process; 127.0.0.1:29500). Throws UsageError naming the
/// bad value (WORLD_SIZE 0, RANK >= WORLD_SIZE, a port out of range, text
/// that is not a number, a run on several processes in a build without c10d).
DistOptions resolve_dist_options(DistOptions o, const std::function<const char *(const char *)> &env);

class Distributed {
 public:
  /// One process: every collective is a no-op.
  Distributed();
  /// Joins the run `o` (resolved, world_size > 1): rank 0 serves the
  /// TCPStore at master_port, every rank connects to master_addr within
  /// o.timeout_s, then the process group is formed (NCCL when `device` is
  /// CUDA and the build has it, else Gloo). Throws DistributedError (no
  /// rendezvous in time, the port in use, an unknown host).
  Distributed(const DistOptions &o, const torch::Device &device);
  ~Distributed();
  Distributed(Distributed &&) noexcept;
  Distributed &operator=(Distributed &&) noexcept;

  int rank() const { return rank_; }
  int world_size() const { return world_; }
  /// More than one process.
  bool active() const { return world_ > 1; }
  /// Rank 0, the one that writes the run's files.
  bool leader() const { return rank_ == 0; }
  /// "gloo", "nccl", or "none" for one process.
  std::string backend() const;

  /// Copies rank 0's values into every rank's tensors (same shapes and
  /// types on every rank), in place. `what` names the step for errors.
  void broadcast(const std::vector<torch::Tensor> &tensors, const std::string &what);
  /// Replaces each parameter's gradient by its sum over the ranks divided by
  /// world_size() * local_parts (the mean over all parts of all ranks when
  /// each rank accumulated `local_parts` parts). Gradients travel in flat
  /// buckets of about `bucket_bytes`; parameters without a gradient are left
  /// out (the same ones on every rank). Also with one process when
  /// local_parts > 1.
  void average_gradients(const std::vector<torch::Tensor> &params, int local_parts = 1);
  /// Replaces each tensor by its mean over the ranks, in place.
  void average(const std::vector<torch::Tensor> &tensors, const std::string &what);
  /// Sums over the ranks.
  std::vector<double> sum(const std::vector<double> &values, const std::string &what);
  /// Rank 0's `text` at every rank (the others' argument is ignored).
  std::string share(const std::string &text, const std::string &what);
  /// Returns when every rank has reached the barrier named `what`.
  void barrier(const std::string &what);

  /// Wall time spent in average_gradients() so far and the bytes of
  /// gradients it exchanged (each rank sends about as much as it receives:
  /// 2 (W - 1) / W times this in a ring).
  double exchange_seconds() const { return exchange_s_; }
  int64_t exchange_bytes() const { return exchange_bytes_; }

  int64_t bucket_bytes = int64_t(25) << 20;

 private:
  /// Waits until all ranks have come to the store (DistributedError naming
  /// how many did when the timeout passes).
  void join(const DistOptions &o);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  int rank_ = 0, world_ = 1;
  double exchange_s_ = 0;
  int64_t exchange_bytes_ = 0;
};

}  // namespace colorize::train
