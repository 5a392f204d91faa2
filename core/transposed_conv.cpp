// Stride-2 transposed convolutions computed as four ordinary ones
// (transposed_conv.h).
#include "transposed_conv.h"

#include "mapped_tensors.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/library.h>
#include <torch/script.h>
#include <torch/version.h>

namespace colorize::detail {
namespace {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

const c10::Symbol kTransposed = c10::Symbol::fromQualString("aten::conv_transpose2d");
const c10::Symbol kSplit = c10::Symbol::fromQualString("colorize::conv_transpose2d_phases");
constexpr int64_t kMinSplitChannels = 16;  // oneDNN's block of output channels

/// weight [Cin, Cout, 4, 4] (contiguous) -> phases [2, 2, Cout, Cin, 2, 2]
/// at `dst`. Output row 2i + a is the sum over input rows i - 1 + a + r
/// (r = 0, 1) with kernel row 3 - a - 2r, and the same for columns:
/// phases[a][b] is that 2x2 kernel, as conv2d wants it. A loop over the
/// floats: ATen's copy through a permuted view takes 5-8 times as long.
void write_phases(const at::Tensor &weight, float *dst) {
  const int64_t in = weight.size(0), out = weight.size(1), phase_size = out * in * 4;
  const float *src = weight.data_ptr<float>();
  at::parallel_for(0, out, 1, [&](int64_t first, int64_t last) {
    for (int64_t o = first; o < last; ++o)
      for (int64_t i = 0; i < in; ++i) {
        const float *kernel = src + (i * out + o) * 16;
        for (int a = 0; a < 2; ++a)
          for (int b = 0; b < 2; ++b) {
            float *phase = dst + (a * 2 + b) * phase_size + (o * in + i) * 4;
            for (int r = 0; r < 2; ++r)
              for (int s = 0; s < 2; ++s) phase[r * 2 + s] = kernel[(3 - a - 2 * r) * 4 + 3 - b - 2 * s];
          }
      }
  });
}

/// Reorders weights into their phase kernels in their own memory, through
/// one scratch copy reused from weight to weight: fresh memory would cost
/// the kernel's zeroing of every page, more than the copy. A weight whose
/// memory other tensors of the module also use (`shared`) gets new memory,
/// and so does one read in place from the model file (mapped_tensors.h),
/// whose pages a write would copy one by one.
class PhaseReorder {
 public:
  explicit PhaseReorder(std::set<const void *> shared) : shared_(std::move(shared)) {}

  at::Tensor operator()(const at::Tensor &weight) {
    const int64_t in = weight.size(0), out = weight.size(1);
    if (!weight.is_contiguous() || shared_.count(weight.storage().unsafeGetStorageImpl()) ||
        is_mapped(weight.storage())) {
      at::Tensor phases = at::empty({2, 2, out, in, 2, 2}, weight.options());
      write_phases(weight.contiguous(), phases.data_ptr<float>());
      return phases;
    }
    if (!scratch_.defined() || scratch_.numel() < weight.numel())
      scratch_ = at::empty({weight.numel()}, weight.options());
    const at::Tensor copy = scratch_.narrow(0, 0, weight.numel()).view(weight.sizes()).copy_(weight);
    write_phases(copy, weight.data_ptr<float>());
    return weight.view({2, 2, out, in, 2, 2});
  }

 private:
  std::set<const void *> shared_;  // storages
  at::Tensor scratch_;
};

/// The inverse of write_phases().
at::Tensor from_phases(const at::Tensor &phases) {
  return phases.permute({3, 2, 4, 0, 5, 1}).reshape({phases.size(3), phases.size(2), 4, 4}).flip({2, 3});
}

bool is_pair(at::IntArrayRef values, int64_t v) {
  return (values.size() == 1 || values.size() == 2) && values.front() == v && values.back() == v;
}

/// Each phase is a 2x2 convolution over the input padded by one pixel
/// (the convolution pads it itself: (h + 1) x (w + 1) results), of which
/// phase (a, b) takes the h x w starting at (a, b).
at::Tensor split_forward(const at::Tensor &input, const at::Tensor &phases, const c10::optional<at::Tensor> &bias) {
  const int64_t n = input.size(0), h = input.size(2), w = input.size(3), out = phases.size(2);
  at::Tensor y = at::empty({n, out, h, 2, w, 2}, input.options());
  for (int64_t a = 0; a < 2; ++a)
    for (int64_t b = 0; b < 2; ++b) {
      const at::Tensor all = at::conv2d(input, phases[a][b], bias, /*stride=*/1, /*padding=*/1);
      y.select(5, b).select(3, a).copy_(all.slice(2, a, a + h).slice(3, b, b + w));
    }
  return y.view({n, out, 2 * h, 2 * w});
}

at::Tensor conv_transpose2d_phases(const at::Tensor &input, const at::Tensor &phases,
                                   const c10::optional<at::Tensor> &bias, at::IntArrayRef stride,
                                   at::IntArrayRef padding, at::IntArrayRef output_padding, int64_t groups,
                                   at::IntArrayRef dilation) {
  const bool split = input.dim() == 4 && input.size(1) == phases.size(3) && is_pair(stride, 2) &&
                     is_pair(padding, 1) && is_pair(output_padding, 0) && groups == 1 && is_pair(dilation, 1) &&
                     input.scalar_type() == phases.scalar_type() && input.device() == phases.device();
  if (split) return split_forward(input, phases, bias);
  return at::conv_transpose2d(input, from_phases(phases), bias, stride, padding, output_padding, groups, dilation);
}

TORCH_LIBRARY(colorize, m) {
  m.def(
      "conv_transpose2d_phases(Tensor input, Tensor phases, Tensor? bias, int[2] stride, int[2] padding, "
      "int[2] output_padding, int groups, int[2] dilation) -> Tensor",
      &conv_transpose2d_phases);
}

/// The integers of a constant int or int list, or of a list built from
/// constants; nullopt when known only at run time.
std::optional<std::vector<int64_t>> constant_ints(const Value *v) {
  if (const auto c = torch::jit::toIValue(v)) {
    if (c->isIntList()) return c->toIntVector();
    if (c->isInt()) return std::vector<int64_t>{c->toInt()};
    return std::nullopt;
  }
  if (v->node()->kind() != c10::prim::ListConstruct) return std::nullopt;
  std::vector<int64_t> ints;
  for (const Value *item : v->node()->inputs()) {
    const auto c = torch::jit::toIValue(item);
    if (!c || !c->isInt()) return std::nullopt;
    ints.push_back(c->toInt());
  }
  return ints;
}

bool may_be(const Value *v, int64_t value) {
  const auto ints = constant_ints(v);
  return !ints || is_pair(*ints, value);
}

/// A call the split form can compute, given a suitable weight.
bool splittable(const Node *n) {
  if (n->kind() != kTransposed || n->inputs().size() != 8) return false;
  const auto in = n->inputs();
  return may_be(in[3], 2) && may_be(in[4], 1) && may_be(in[5], 0) && may_be(in[6], 1) && may_be(in[7], 1);
}

/// An attribute of a module type: the weight a call reads.
using Attribute = std::pair<const c10::ClassType *, std::string>;

std::optional<Attribute> attribute_read_by(const Node *get) {
  if (get->kind() != c10::prim::GetAttr) return std::nullopt;
  const auto owner = get->input()->type()->cast<c10::ClassType>();
  if (!owner) return std::nullopt;
  return Attribute{owner.get(), get->s(c10::attr::name)};
}

void for_each_node(torch::jit::Block *block, const std::function<void(Node *)> &f) {
  for (Node *n : block->nodes()) {
    f(n);
    for (torch::jit::Block *inner : n->blocks()) for_each_node(inner, f);
  }
}

/// Every graph of every module type in `module`, of methods and hooks:
/// each function's own and, with `optimized`, its optimised copy with calls
/// inlined, which the executor runs and which inlining into a caller takes
/// (cached by the function once made, as the operator check at load does).
std::vector<std::shared_ptr<Graph>> all_graphs(const torch::jit::Module &module, bool optimized) {
  std::vector<std::shared_ptr<Graph>> graphs;
  auto add = [&graphs, optimized](torch::jit::Function &function) {
    const torch::jit::GraphFunction &f = torch::jit::toGraphFunction(function);
    graphs.push_back(f.graph());
    if (optimized) graphs.push_back(f.optimized_graph());
  };
  std::set<const c10::ClassType *> seen;
  for (const torch::jit::Module &sub : module.modules()) {
    if (!seen.insert(sub.type().get()).second) continue;
    for (const torch::jit::Method &method : sub.get_methods()) add(method.function());
    for (torch::jit::Function *hook : sub.type()->getForwardPreHooks()) add(*hook);
    for (torch::jit::Function *hook : sub.type()->getForwardHooks()) add(*hook);
  }
  return graphs;
}

/// The attributes that are read only as the weight of splittable calls and
/// never written.
std::set<Attribute> weights_of_splittable_calls(const std::vector<std::shared_ptr<Graph>> &graphs) {
  std::map<Attribute, bool> only_weight;
  for (const auto &graph : graphs)
    for_each_node(graph->block(), [&](Node *n) {
      if (n->kind() == c10::prim::SetAttr) {
        const auto owner = n->inputs()[0]->type()->cast<c10::ClassType>();
        if (owner) only_weight[{owner.get(), n->s(c10::attr::name)}] = false;
      }
      const auto read = attribute_read_by(n);
      if (!read) return;
      bool ok = true;
      for (const torch::jit::Use &use : n->output()->uses()) ok = ok && use.offset == 1 && splittable(use.user);
      auto [it, fresh] = only_weight.emplace(*read, ok);
      if (!fresh) it->second = it->second && ok;
    });
  std::set<Attribute> weights;
  for (const auto &[attribute, ok] : only_weight)
    if (ok) weights.insert(attribute);
  return weights;
}

bool splittable_weight(const c10::IValue &value) {
  if (!value.isTensor()) return false;
  const at::Tensor &w = value.toTensor();
  return w.dim() == 4 && w.size(2) == 4 && w.size(3) == 4 && w.size(1) >= kMinSplitChannels &&
         w.numel() <= kMaxSplitWeights && w.scalar_type() == at::kFloat && w.device().is_cpu();
}

/// The storages of the tensor attributes of `module` and its submodules
/// other than `weights`.
std::set<const void *> storages_of_other_tensors(const torch::jit::Module &module, const std::set<Attribute> &weights) {
  std::set<const void *> storages;
  for (const torch::jit::Module &sub : module.modules()) {
    const c10::ClassTypePtr type = sub.type();
    for (size_t i = 0; i < type->numAttributes(); ++i) {
      const c10::IValue value = sub._ivalue()->getSlot(i);
      if (value.isTensor() && value.toTensor().has_storage() && !weights.count({type.get(), type->getAttributeName(i)}))
        storages.insert(value.toTensor().storage().unsafeGetStorageImpl());
    }
  }
  return storages;
}

/// Replaces the call `n` by colorize::conv_transpose2d_phases with the same
/// arguments. Its output keeps the type a new node's output has, Tensor.
/// (Value::setType() is not called: it refers to c10::DynamicType, whose
/// type information LibTorch does not export, which a build with
/// UndefinedBehaviorSanitizer's vptr check cannot then load.)
void replace_call(Graph &graph, Node *n) {
  Node *split = graph.create(kSplit, n->inputs(), 1);
  split->insertBefore(n);
  n->output()->replaceAllUsesWith(split->output());
  n->destroy();
}

}  // namespace

bool split_is_faster() { return TORCH_VERSION_MAJOR < 2; }

int split_transposed_convolutions(torch::jit::Module &module) {
  // Most models have no transposed convolution: then nothing more is made.
  bool any = false;
  for (const auto &graph : all_graphs(module, false))
    for_each_node(graph->block(), [&any](Node *n) { any = any || n->kind() == kTransposed; });
  if (!any) return 0;

  const auto graphs = all_graphs(module, true);
  std::set<Attribute> weights = weights_of_splittable_calls(graphs);
  // Every instance of a type must have a weight the split form suits.
  for (const torch::jit::Module &sub : module.modules())
    for (auto it = weights.begin(); it != weights.end();)
      it = it->first == sub.type().get() && !splittable_weight(sub.attr(it->second)) ? weights.erase(it) : ++it;
  if (weights.empty()) return 0;

  int replaced = 0;
  {
    // A weight shared by several modules is reordered once.
    at::NoGradGuard no_grad;
    PhaseReorder to_phases(storages_of_other_tensors(module, weights));
    std::map<const void *, at::Tensor> reordered;
    for (torch::jit::Module sub : module.modules())
      for (const auto &[type, name] : weights) {
        if (type != sub.type().get()) continue;
        const at::Tensor weight = sub.attr(name).toTensor();
        auto it = reordered.find(weight.data_ptr());
        if (it == reordered.end()) it = reordered.emplace(weight.data_ptr(), to_phases(weight)).first;
        sub.setattr(name, it->second);
        ++replaced;
      }
  }
  for (const auto &graph : graphs) {
    std::vector<Node *> calls;
    for_each_node(graph->block(), [&](Node *n) {
      const auto read = n->kind() == kTransposed ? attribute_read_by(n->inputs()[1]->node()) : std::nullopt;
      if (read && weights.count(*read)) calls.push_back(n);
    });
    for (Node *n : calls) replace_call(*graph, n);
  }
  return replaced;
}

}  // namespace colorize::detail
