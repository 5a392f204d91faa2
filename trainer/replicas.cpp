// Keeping the processes of a data-parallel run in step: see replicas.h.
#include "replicas.h"

#include <torch/torch.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>

#include "model_io.h"
#include "step.h"

namespace colorize::train {
namespace {

/// 64-bit FNV-1a: the same on every machine (std::hash need not be).
uint64_t fnv1a(const std::string &text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

/// Throws UsageError(message) on every rank when `ok` is false on any.
void agree(Distributed &dist, bool ok, const std::string &what, const std::string &message) {
  const double failing = dist.sum({ok ? 0.0 : 1.0}, what)[0];
  if (failing > 0) throw UsageError(message);
}

/// Names, shapes and types of the networks' tensors.
std::string layout(const Nets &nets) {
  std::ostringstream s;
  auto add = [&](const char *net, const torch::jit::Module &m) {
    for (const auto &p : m.named_parameters()) s << net << "." << p.name << p.value.sizes() << p.value.dtype() << ";";
    for (const auto &b : m.named_buffers()) s << net << "." << b.name << b.value.sizes() << b.value.dtype() << ";";
  };
  add("g", nets.g);
  if (nets.d) add("d", *nets.d);
  return s.str();
}

/// Adam's per-parameter state, created where missing (zero moments at step
/// 0, which Adam treats exactly like no state: the state it creates itself).
std::vector<torch::optim::AdamParamState *> adam_states(torch::optim::Adam &opt) {
  using Key = typename std::decay_t<decltype(opt.state())>::key_type;
  std::vector<torch::optim::AdamParamState *> states;
  for (auto &group : opt.param_groups())
    for (const auto &p : group.params()) {
      auto &slot = opt.state()[state_key<Key>(p)];
      if (!slot) {
        auto fresh = std::make_unique<torch::optim::AdamParamState>();
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        slot = std::move(fresh);
      }
      states.push_back(static_cast<torch::optim::AdamParamState *>(slot.get()));
    }
  return states;
}

}  // namespace

TrainState leader_state(Distributed &dist, const TrainState &state,
                        const std::function<TrainOptions(const TrainOptions &)> &adopt) {
  if (!dist.active()) return state;
  const std::string json = dist.share(dist.leader() ? to_json(state) : std::string(), "receiving rank 0's run");
  if (dist.leader()) return state;
  TrainState leaders = state_from_json(json, "rank 0's run state");
  leaders.options = adopt(leaders.options);
  return leaders;
}

void check_same_photos(Distributed &dist, const std::vector<Photo> &photos) {
  if (!dist.active()) return;
  std::string names;
  for (const auto &p : photos) {
    char weight[32];
    std::snprintf(weight, sizeof weight, "%.9g", p.weight);
    names += std::filesystem::path(p.path).filename().string() + "\t" + weight + "\n";
  }
  const std::string mine = std::to_string(photos.size()) + " " + std::to_string(fnv1a(names));
  const std::string leaders = dist.share(mine, "comparing the training photos");
  agree(dist, mine == leaders, "comparing the training photos",
        mine == leaders
            ? "another rank's training photos are not rank 0's; every rank needs the same photos (the same "
              "--data, --val-list and --prefix-weight, or copies at the same paths)"
            : "rank " + std::to_string(dist.rank()) + " has " + std::to_string(photos.size()) +
                  " training photos and rank 0 " + leaders.substr(0, leaders.find(' ')) +
                  ", or their names differ; every rank needs the same photos (the same --data, --val-list and "
                  "--prefix-weight, or copies at the same paths)");
}

void sync_from_leader(Distributed &dist, Nets &nets, bool resumed) {
  if (!dist.active()) return;
  const std::string mine = layout(nets);
  const bool same = dist.share(mine, "comparing the networks") == mine;
  agree(dist, same, "comparing the networks",
        "the ranks' networks are not rank 0's (different colorize-train versions on the machines?)");
  std::vector<torch::Tensor> tensors;
  auto add = [&](const torch::jit::Module &m) {
    for (const auto &p : m.parameters()) tensors.push_back(p);
    for (const auto &b : m.buffers()) tensors.push_back(b);
  };
  add(nets.g);
  if (nets.d) add(*nets.d);
  std::vector<torch::optim::AdamParamState *> states;
  torch::Tensor steps, rng;
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  if (resumed) {
    for (auto *opt : {nets.opt_g.get(), nets.opt_d.get()}) {
      if (!opt) continue;
      for (auto *s : adam_states(*opt)) states.push_back(s);
    }
    std::vector<int64_t> counts;
    for (auto *s : states) {
      tensors.push_back(s->exp_avg());
      tensors.push_back(s->exp_avg_sq());
      counts.push_back(s->step());
    }
    steps = torch::tensor(counts, torch::kLong);
    rng = generator.get_state();
    tensors.push_back(steps);
    tensors.push_back(rng);
  }
  dist.broadcast(tensors, "copying rank 0's networks");
  if (!resumed) return;
  for (size_t i = 0; i < states.size(); ++i) states[i]->step(steps[int64_t(i)].item<int64_t>());
  generator.set_state(rng);
}

EpochSums finish_epoch(Distributed &dist, const EpochSums &mine, Nets &nets) {
  if (!dist.active()) return mine;
  const std::vector<double> s =
      dist.sum({mine.l1, mine.classes, mine.g_gan, mine.d, mine.images}, "adding up the epoch's losses");
  std::vector<torch::Tensor> statistics = batch_norm_statistics(nets.g);
  if (nets.d)
    for (const auto &t : batch_norm_statistics(*nets.d)) statistics.push_back(t);
  dist.average(statistics, "averaging batch-norm statistics");
  // Ranks on different CPUs may round differently; rank 0's weights go on.
  std::vector<torch::Tensor> params;
  for (const auto &p : nets.g.parameters()) params.push_back(p);
  if (nets.d)
    for (const auto &p : nets.d->parameters()) params.push_back(p);
  dist.broadcast(params, "copying rank 0's weights");
  return {s[0], s[1], s[2], s[3], s[4]};
}

}  // namespace colorize::train
