// What the processes of a data-parallel run share besides gradients
// (distributed.h): rank 0's run state, the same training photos, identical
// networks and optimizer moments at the start and after --resume, and the
// epoch's losses and batch-norm statistics. With one process every function
// here returns at once.
#pragma once

#include <functional>
#include <vector>

#include "data.h"
#include "distributed.h"
#include "model_io.h"
#include "state.h"

namespace colorize::train {

/// Rank 0's `state`; the other ranks receive it and apply `adopt` to its
/// options (their own run-time settings).
TrainState leader_state(Distributed &dist, const TrainState &state,
                        const std::function<TrainOptions(const TrainOptions &)> &adopt);

/// Throws UsageError on every rank when some rank's training photos (their
/// number, names and sampling weights) are not rank 0's.
void check_same_photos(Distributed &dist, const std::vector<Photo> &photos);

/// Makes every rank's networks rank 0's: parameters and buffers, and for a
/// resumed run (`resumed`) also both optimizers' moments and torch's random
/// generator. Throws UsageError on every rank when the networks differ in
/// shape (ranks running different versions).
void sync_from_leader(Distributed &dist, Nets &nets, bool resumed);

/// The sums of one epoch over the ranks (losses summed over steps, images).
struct EpochSums {
  double l1 = 0, classes = 0, g_gan = 0, d = 0, images = 0;
};

/// `mine` added up over the ranks, and every rank's batch-norm running
/// statistics replaced by their mean over the ranks.
EpochSums finish_epoch(Distributed &dist, const EpochSums &mine, Nets &nets);

}  // namespace colorize::train
