// See colorize/run.h.
#include "colorize/run.h"

#include <chrono>

#include "colorize/color.h"
#include "colorize/error.h"

namespace colorize {

void run(const Model &model, ImageSource &source, RowSink &sink, RunOptions options,
         const Progress &progress, RunTimes *times, const std::function<void(RunStage)> &stage) {
  using Clock = std::chrono::steady_clock;
  auto seconds_since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  if (!(options.model_share >= 0.0 && options.model_share < 1.0))
    throw Error("the model pass's share of the progress must be in [0, 1)");
  auto tell = [&](RunStage s) {
    if (stage) stage(s);
  };
  auto report = [&](double fraction) {
    if (progress && !progress(fraction)) throw Cancelled();
  };
  RunTimes local;
  RunTimes &t = times ? *times : local;

  const cv::Size full = source.size();
  strip_range(options.strips, full);  // before the model pass, not after it
  report(0.0);
  tell(RunStage::Reading);
  InferOptions &infer_options = options.infer;
  infer_options.order = source.order();
  const InferReadPlan plan = plan_infer_read(model.info(), full, infer_options);
  auto t0 = Clock::now();
  cv::Mat reduced = source.read_reduced(plan);
  t.reduced_read += seconds_since(t0);
  // The colour tables apply() needs (about 0.1 s, once per process), built
  // while the model may still be loading rather than after its pass.
  prepare_color_tables();

  tell(RunStage::ModelPass);
  t0 = Clock::now();
  const AbMap map = infer(model, reduced, full, infer_options);
  reduced.release();
  infer_options.hints.release();
  t.infer += seconds_since(t0);
  report(options.model_share);

  tell(RunStage::Applying);
  ApplyOptions apply_options = options.apply;
  apply_options.order = source.order();
  const double share = options.model_share;
  apply_strips(map, source, sink, apply_options, options.strips,
               [&](double done) { return !progress || progress(share + (1.0 - share) * done); }, &t.strips);
}

}  // namespace colorize
