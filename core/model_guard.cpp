#include "model_guard.h"

#include <torch/csrc/jit/passes/inliner.h>
#include <torch/script.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string_view>

#include "colorize/error.h"
#include "model_archive.h"

namespace colorize::detail {
namespace {

// Operators (TorchScript node kinds, without overload names) a model may use:
// what U-Nets, GAN generators and attention blocks are made of. Inlining
// F.interpolate brings in every branch of it, the 3-d ones too. Nothing here
// touches files, processes, the network or other programs' memory.
const char *const kAllowed[] = {
    // convolution, linear algebra, attention
    "aten::_convolution", "aten::conv1d", "aten::conv2d", "aten::conv_transpose1d", "aten::conv_transpose2d",
    "aten::convolution", "aten::linear", "aten::matmul", "aten::mm", "aten::bmm", "aten::baddbmm", "aten::addmm",
    "aten::einsum", "aten::_native_multi_head_attention", "aten::scaled_dot_product_attention",
    // normalisation
    "aten::batch_norm", "aten::instance_norm", "aten::group_norm", "aten::layer_norm", "aten::norm",
    "aten::linalg_vector_norm", "aten::frobenius_norm",
    // activations
    "aten::relu", "aten::relu_", "aten::relu6", "aten::leaky_relu", "aten::leaky_relu_", "aten::elu", "aten::elu_",
    "aten::selu", "aten::celu", "aten::gelu", "aten::silu", "aten::silu_", "aten::mish", "aten::mish_",
    "aten::hardswish", "aten::hardswish_", "aten::hardsigmoid", "aten::hardsigmoid_", "aten::hardtanh",
    "aten::hardtanh_", "aten::sigmoid", "aten::sigmoid_", "aten::tanh", "aten::tanh_", "aten::softplus",
    "aten::prelu", "aten::softmax", "aten::log_softmax", "aten::threshold", "aten::glu", "aten::log_sigmoid",
    "aten::dropout", "aten::dropout_", "aten::feature_dropout", "aten::feature_dropout_", "aten::alpha_dropout",
    // pooling, resampling, padding
    "aten::max_pool1d", "aten::max_pool2d", "aten::max_pool2d_with_indices", "aten::avg_pool1d", "aten::avg_pool2d",
    "aten::adaptive_avg_pool1d", "aten::adaptive_avg_pool2d", "aten::adaptive_avg_pool3d",
    "aten::adaptive_max_pool2d", "aten::pixel_shuffle",
    "aten::pixel_unshuffle", "aten::__interpolate", "aten::upsample_nearest1d", "aten::upsample_nearest2d",
    "aten::upsample_nearest3d", "aten::_upsample_nearest_exact1d", "aten::_upsample_nearest_exact2d",
    "aten::_upsample_nearest_exact3d", "aten::upsample_linear1d", "aten::upsample_trilinear3d",
    "aten::upsample_bilinear2d", "aten::_upsample_bilinear2d_aa", "aten::upsample_bicubic2d",
    "aten::_upsample_bicubic2d_aa", "aten::pad", "aten::constant_pad_nd", "aten::reflection_pad1d",
    "aten::reflection_pad2d", "aten::replication_pad1d", "aten::replication_pad2d",
    // shapes and indexing
    "aten::cat", "aten::stack", "aten::slice", "aten::select", "aten::narrow", "aten::index", "aten::index_select",
    "aten::gather", "aten::view", "aten::reshape", "aten::flatten", "aten::unflatten", "aten::squeeze",
    "aten::unsqueeze", "aten::transpose", "aten::permute", "aten::t", "aten::contiguous", "aten::expand",
    "aten::expand_as", "aten::repeat", "aten::chunk", "aten::split", "aten::split_with_sizes", "aten::unbind",
    "aten::flip", "aten::roll", "aten::size", "aten::dim", "aten::numel", "aten::element_size", "aten::item",
    "aten::masked_fill", "aten::masked_fill_",
    "aten::where",
    // arithmetic and reductions
    "aten::add", "aten::add_", "aten::sub", "aten::sub_", "aten::mul", "aten::mul_", "aten::div", "aten::div_",
    "aten::neg", "aten::abs", "aten::exp", "aten::log", "aten::log1p", "aten::pow", "aten::sqrt", "aten::rsqrt",
    "aten::reciprocal", "aten::square", "aten::sign", "aten::sin", "aten::cos", "aten::atan2", "aten::clamp",
    "aten::clamp_", "aten::clamp_min", "aten::clamp_max", "aten::floor", "aten::ceil", "aten::round",
    "aten::remainder", "aten::fmod", "aten::floordiv", "aten::floor_divide", "aten::lerp", "aten::addcmul",
    "aten::addcdiv", "aten::sum", "aten::mean", "aten::amax", "aten::amin", "aten::max", "aten::min",
    "aten::maximum", "aten::minimum", "aten::argmax", "aten::argmin", "aten::var", "aten::std", "aten::var_mean",
    "aten::cumsum",
    // comparisons and logic
    "aten::eq", "aten::ne", "aten::lt", "aten::le", "aten::gt", "aten::ge", "aten::__and__", "aten::__or__",
    "aten::__not__", "aten::logical_and", "aten::logical_or", "aten::logical_not", "aten::__is__",
    "aten::__isnot__", "aten::__contains__", "aten::all", "aten::any", "aten::isfinite", "aten::isnan",
    // new tensors, types, devices (in memory only)
    "aten::zeros", "aten::ones", "aten::full", "aten::empty", "aten::zeros_like", "aten::ones_like",
    "aten::full_like", "aten::empty_like", "aten::arange", "aten::linspace", "aten::tensor", "aten::scalar_tensor",
    "aten::to", "aten::type_as", "aten::float", "aten::half", "aten::detach", "aten::clone", "aten::copy_",
    "aten::fill_", "aten::zero_", "aten::is_floating_point", "aten::is_grad_enabled", "aten::is_autocast_enabled",
    "aten::Bool", "aten::Int", "aten::Float", "aten::ScalarImplicit", "aten::IntImplicit", "aten::FloatImplicit",
    // the language: lists, tuples, strings for error messages, control flow
    "aten::__getitem__", "aten::_set_item", "aten::len", "aten::append", "aten::extend", "aten::list",
    "aten::dict", "aten::keys", "aten::values", "aten::items", "aten::format", "aten::str", "aten::find",
    "aten::warn", "aten::__range_length", "aten::__derive_index", "prim::Constant", "prim::GetAttr",
    "prim::SetAttr", "prim::If", "prim::Loop", "prim::ListConstruct", "prim::ListUnpack", "prim::TupleConstruct",
    "prim::TupleUnpack", "prim::TupleIndex", "prim::DictConstruct", "prim::RaiseException", "prim::Uninitialized",
    "prim::unchecked_cast", "prim::device", "prim::dtype", "prim::is_cuda", "prim::is_nested", "prim::layout",
    "prim::requires_grad", "prim::NumToTensor", "prim::min", "prim::max", "prim::abs", "prim::shape",
    "prim::isinstance",
};

void collect_kinds(torch::jit::Block *block, std::set<std::string> &kinds) {
  for (torch::jit::Node *node : block->nodes()) {
    kinds.insert(node->kind().toQualString());
    for (torch::jit::Block *inner : node->blocks()) collect_kinds(inner, kinds);
  }
}

/// Node kinds of `function`'s graph with every call inlined.
std::set<std::string> kinds_of(torch::jit::Function &function) {
  std::shared_ptr<torch::jit::Graph> graph = torch::jit::toGraphFunction(function).graph()->copy();
  torch::jit::Inline(*graph);
  std::set<std::string> kinds;
  collect_kinds(graph->block(), kinds);
  return kinds;
}

}  // namespace

const std::vector<std::string> &allowed_operators() {
  static const std::vector<std::string> list = [] {
    std::vector<std::string> v(std::begin(kAllowed), std::end(kAllowed));
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }();
  return list;
}

void check_operators(const torch::jit::Module &module, const std::string &path) {
  const auto &allowed = allowed_operators();
  std::map<std::string, std::set<std::string>> refused;  // method -> kinds
  auto check = [&](const std::string &where, torch::jit::Function &function) {
    for (const std::string &kind : kinds_of(function))
      if (!std::binary_search(allowed.begin(), allowed.end(), kind)) refused[where].insert(kind);
  };
  for (const auto &item : module.named_modules()) {
    const std::string prefix = item.name.empty() ? "" : item.name + ".";
    for (const auto &method : item.value.get_methods()) check(prefix + method.name() + "()", method.function());
    const auto type = item.value.type();
    for (torch::jit::Function *hook : type->getForwardPreHooks()) check(prefix + hook->name() + "()", *hook);
    for (torch::jit::Function *hook : type->getForwardHooks()) check(prefix + hook->name() + "()", *hook);
  }
  if (refused.empty()) return;
  std::string why;
  for (const auto &[where, kinds] : refused) {
    why += (why.empty() ? "" : "; ") + where + " uses";
    for (const auto &kind : kinds) why += " " + kind;
  }
  refuse(path, why + " (not allowed in a colorization model)");
}

}  // namespace colorize::detail
