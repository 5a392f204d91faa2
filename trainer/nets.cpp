// Pix2Pix networks as TorchScript modules built in C++: see nets.h.
//
// Each block is a torch::jit::Module of its own class (Down0, Up0, ...) with
// its parameters registered directly and its forward() written in
// TorchScript with torch.* ops (torch.nn.functional is not available to
// define()). Every module carries a bool `training` attribute: eval() and
// train() only flip that attribute, and batch norm / dropout read it.
#include "nets.h"

#include <json-glib/json-glib.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace colorize::nets {
namespace {

constexpr double kInitStd = 0.02;
constexpr double kLeakySlope = 0.2;
constexpr double kBnMomentum = 0.1;
constexpr double kBnEps = 1e-5;

using CompilationUnitPtr = std::shared_ptr<torch::jit::CompilationUnit>;

torch::jit::Module new_module(const std::string &class_name,
                              const CompilationUnitPtr &cu) {
  torch::jit::Module m(c10::QualifiedName("__torch__.colorize." + class_name),
                       cu, /*shouldMangle=*/false);
  m.register_attribute("training", c10::BoolType::get(), true);
  return m;
}

void add_parameter(torch::jit::Module &m, const std::string &name,
                   torch::Tensor t) {
  t.set_requires_grad(true);
  m.register_parameter(name, t, /*is_buffer=*/false);
}

/// Conv weight [out, in, k, k] (or [in, out, k, k] for transposed convs)
/// from N(0, 0.02), plus an optional zero bias.
void add_conv(torch::jit::Module &m, int64_t in, int64_t out, bool transposed,
              bool bias, int64_t k = 4, const std::string &prefix = "") {
  auto w = transposed ? torch::randn({in, out, k, k}) : torch::randn({out, in, k, k});
  add_parameter(m, prefix + "weight", w.mul_(kInitStd));
  if (bias) add_parameter(m, prefix + "bias", torch::zeros({out}));
}

/// Batch norm: weight from N(1, 0.02), bias 0, running mean 0 / var 1.
void add_batch_norm(torch::jit::Module &m, int64_t channels) {
  add_parameter(m, "bn_weight", torch::randn({channels}).mul_(kInitStd).add_(1.0));
  add_parameter(m, "bn_bias", torch::zeros({channels}));
  m.register_buffer("bn_mean", torch::zeros({channels}));
  m.register_buffer("bn_var", torch::ones({channels}));
}

std::string num(double v) {
  std::ostringstream s;
  s.imbue(std::locale::classic());
  s.precision(12);
  s << v;
  std::string text = s.str();
  if (text.find_first_of(".eE") == std::string::npos) text += ".0";
  return text;
}

const char *kBatchNormLine =
    "    y = torch.batch_norm(y, self.bn_weight, self.bn_bias, self.bn_mean,"
    " self.bn_var, self.training, ";

std::string batch_norm_line() {
  return std::string(kBatchNormLine) + num(kBnMomentum) + ", " + num(kBnEps) +
         ", False)\n";
}

/// Filters of level i: width * min(2^i, 8).
int64_t filters(int width, int level) {
  return static_cast<int64_t>(width) * (int64_t{1} << std::min(level, 3));
}

/// Encoder block i of `depth`: [LeakyReLU] conv4x4/2 [BN].
torch::jit::Module build_down(int i, const UNetConfig &c,
                              const CompilationUnitPtr &cu) {
  const bool outermost = i == 0, innermost = i == c.depth - 1;
  const int64_t in = outermost ? c.in_channels : filters(c.width, i - 1);
  const int64_t out = filters(c.width, i);
  auto m = new_module("Down" + std::to_string(i), cu);
  add_conv(m, in, out, /*transposed=*/false, /*bias=*/false);
  const bool bn = !outermost && !innermost;
  if (bn) add_batch_norm(m, out);

  std::string src = "def forward(self, x):\n    y = x\n";
  if (!outermost) src += "    y = torch.leaky_relu(y, " + num(kLeakySlope) + ")\n";
  src += "    y = torch.conv2d(y, self.weight, None, [2, 2], [1, 1])\n";
  if (bn) src += batch_norm_line();
  src += "    return y\n";
  m.define(src);
  return m;
}

/// Decoder block i: ReLU convT4x4/2 then BN [+ dropout], or tanh for i = 0.
torch::jit::Module build_up(int i, const UNetConfig &c,
                            const CompilationUnitPtr &cu) {
  const bool outermost = i == 0, innermost = i == c.depth - 1;
  const int64_t level = filters(c.width, i);
  const int64_t in = (innermost || !c.skips) ? level : 2 * level;
  const int64_t out = outermost ? c.out_channels : filters(c.width, i - 1);
  const bool dropout = !outermost && c.dropout > 0.0 &&
                       i >= c.depth - c.dropout_blocks;
  const bool resize = c.upsample == Upsample::Resize;
  auto m = new_module("Up" + std::to_string(i), cu);
  add_conv(m, resize ? out : in, out, /*transposed=*/!resize, /*bias=*/outermost, resize ? 3 : 4);
  if (resize) add_conv(m, in, out, false, false, 1, "reduce_");
  if (!outermost) add_batch_norm(m, out);

  std::string src = "def forward(self, x):\n    y = torch.relu(x)\n";
  if (resize)  // 1x1 to the output channels at low resolution: the 3x3 conv after x2 is 4x cheaper
    src += "    y = torch.conv2d(y, self.reduce_weight, None, [1, 1], [0, 0])\n"
           "    y = torch.upsample_nearest2d(y, None, [2.0, 2.0])\n"
           "    y = torch.conv2d(y, self.weight, None, [1, 1], [1, 1])\n";
  else
    src += std::string("    y = torch.conv_transpose2d(y, self.weight, ") +
           (outermost ? "self.bias" : "None") + ", [2, 2], [1, 1])\n";
  if (outermost) {
    src += "    y = torch.tanh(y)\n";
  } else {
    src += batch_norm_line();
    if (dropout) src += "    y = torch.dropout(y, " + num(c.dropout) + ", self.training)\n";
  }
  src += "    return y\n";
  m.define(src);
  return m;
}

void check(bool ok, const std::string &what) {
  if (!ok) throw std::invalid_argument("network config: " + what);
}

/// Resize mode's output head, at half resolution: [ReLU] conv3x3 + ReLU
/// (shared features), then 1x1 convs to the a,b regression (tanh) and,
/// with classes, to the class logits.
torch::jit::Module build_head(const UNetConfig &c, const CompilationUnitPtr &cu) {
  const int64_t in = c.skips ? 2 * int64_t(c.width) : c.width;
  auto m = new_module("Head", cu);
  add_conv(m, in, c.width, false, true, 3);
  add_conv(m, c.width, c.out_channels, false, true, 1, "reg_");
  std::string src =
      "def features(self, x):\n"
      "    h = torch.conv2d(torch.relu(x), self.weight, self.bias, [1, 1], [1, 1])\n"
      "    return torch.relu(h)\n"
      "def regress(self, h):\n"
      "    return torch.tanh(torch.conv2d(h, self.reg_weight, self.reg_bias, [1, 1], [0, 0]))\n";
  if (c.classes > 0) {
    add_conv(m, c.width, c.classes, false, true, 1, "cls_");
    src += "def classify(self, h):\n"
           "    return torch.conv2d(h, self.cls_weight, self.cls_bias, [1, 1], [0, 0])\n";
  }
  m.define(src);
  return m;
}

/// Lines of the top-level trunk: encoder, decoder with skips, up to the
/// input of the outermost decoder block (in `y`).
std::string trunk_lines(const UNetConfig &c, bool with_outermost) {
  std::ostringstream src;
  src << "    e0 = self.down0.forward(x)\n";
  for (int i = 1; i < c.depth; ++i)
    src << "    e" << i << " = self.down" << i << ".forward(e" << i - 1 << ")\n";
  src << "    y = self.up" << c.depth - 1 << ".forward(e" << c.depth - 1 << ")\n";
  const int last = with_outermost ? 0 : 1;
  for (int i = c.depth - 2; i >= last; --i) {
    if (c.skips)
      src << "    y = self.up" << i << ".forward(torch.cat([e" << i << ", y], 1))\n";
    else
      src << "    y = self.up" << i << ".forward(y)\n";
  }
  if (!with_outermost && c.skips) src << "    y = torch.cat([e0, y], 1)\n";
  return src.str();
}

const char *kUpsample2 = "torch.upsample_bilinear2d({}, None, False, [2.0, 2.0])";

std::string upsampled(const std::string &what) {
  std::string s = kUpsample2;
  return s.replace(s.find("{}"), 2, what);
}

/// Resize mode: the head replaces up0 (see build_head()). forward() decodes
/// the classes on 2x2 means of the head's features, the grid the class loss
/// is trained on (heads() takes every other pixel), then upsamples the
/// annealed mean bilinearly: the 261-way softmax at the full half-resolution
/// grid took about half of a 256x256 forward on a CPU.
void define_resize_forward(torch::jit::Module &net, const UNetConfig &c, const torch::Tensor &bin_ab,
                           const CompilationUnitPtr &cu) {
  net.register_module("head", build_head(c, cu));
  std::string src = "def trunk(self, x):\n" + trunk_lines(c, false) + "    return self.head.features(y)\n";
  if (c.classes == 0) {
    src += "def forward(self, x):\n    h = self.trunk(x)\n    return " + upsampled("self.head.regress(h)") + "\n";
    net.define(src);
    return;
  }
  net.register_buffer("bin_kernel", bin_ab.to(torch::kFloat).t().reshape({2, c.classes, 1, 1}).contiguous());
  net.register_buffer("bin_weight", torch::ones({c.classes}));
  net.register_attribute("blend", c10::FloatType::get(), 0.5);
  net.register_attribute("temperature", c10::FloatType::get(), 0.38);
  src += "def heads(self, x):\n"
         "    h = self.trunk(x)\n"
         "    return (" + upsampled("self.head.regress(h)") + ", self.head.classify(h[:, :, ::2, ::2]))\n"
         "def forward(self, x):\n"
         "    h = self.trunk(x)\n"
         "    r = self.head.regress(h)\n"
         "    z = self.head.classify(torch.avg_pool2d(h, [2, 2]))\n"
         "    p = torch.softmax(z / self.temperature, 1)\n"
         "    c = " + upsampled("torch.conv2d(p, self.bin_kernel, None, [1, 1], [0, 0])") + "\n"
         "    return " + upsampled("r + self.blend * (c - r)") + "\n";
  net.define(src);
}

}  // namespace

int unet_size_multiple(const UNetConfig &config) {
  return 1 << config.depth;
}

torch::jit::Module build_unet(const UNetConfig &c, const torch::Tensor &bin_ab) {
  check(c.depth >= 2 && c.depth <= 12, "depth must be in 2..12");
  check(c.width >= 1, "width must be positive");
  check(c.in_channels >= 1 && c.out_channels >= 1, "channels must be positive");
  check(c.dropout >= 0.0 && c.dropout < 1.0, "dropout must be in [0, 1)");
  check(c.dropout_blocks >= 0, "dropout_blocks must not be negative");
  check(c.classes >= 0, "classes must not be negative");
  if (c.classes > 0) {
    check(c.upsample == Upsample::Resize, "a classification head needs resize upsampling");
    check(c.out_channels == 2, "a classification head needs a,b output (2 channels)");
    check(bin_ab.defined() && bin_ab.dim() == 2 && bin_ab.size(0) == c.classes && bin_ab.size(1) == 2,
          "bin_ab must be [classes, 2]");
  }

  auto cu = std::make_shared<torch::jit::CompilationUnit>();
  auto net = new_module(c.skips ? "UNet" : "EncoderDecoder", cu);
  const bool resize = c.upsample == Upsample::Resize;
  for (int i = 0; i < c.depth; ++i)
    net.register_module("down" + std::to_string(i), build_down(i, c, cu));
  for (int i = resize ? 1 : 0; i < c.depth; ++i)
    net.register_module("up" + std::to_string(i), build_up(i, c, cu));
  if (resize) {
    define_resize_forward(net, c, bin_ab, cu);
    return net;
  }
  net.define("def forward(self, x):\n" + trunk_lines(c, true) + "    return y\n");
  return net;
}

void load_weights(torch::jit::Module &to, const torch::jit::Module &from) {
  std::map<std::string, torch::Tensor> source;
  for (const auto &p : from.named_parameters()) source[p.name] = p.value;
  for (const auto &b : from.named_buffers()) source[b.name] = b.value;
  torch::NoGradGuard no_grad;
  auto copy = [&](const std::string &name, const torch::Tensor &dst) {
    const auto it = source.find(name);
    if (it == source.end()) throw std::invalid_argument("the initial weights have no tensor " + name);
    const torch::Tensor &src = it->second;
    if (src.sizes() == dst.sizes()) {
      dst.copy_(src);
      return;
    }
    bool widened = src.dim() == dst.dim() && src.dim() >= 2 && src.size(1) < dst.size(1);
    for (int64_t d = 0; widened && d < src.dim(); ++d) widened = d == 1 || src.size(d) == dst.size(d);
    if (!widened) {
      std::ostringstream m;
      m << "the initial weights' " << name << " is " << src.sizes() << ", this network's " << dst.sizes();
      throw std::invalid_argument(m.str());
    }
    dst.zero_();
    dst.narrow(1, 0, src.size(1)).copy_(src);
  };
  for (const auto &p : to.named_parameters()) copy(p.name, p.value);
  for (const auto &b : to.named_buffers()) copy(b.name, b.value);
}

void set_decoding(torch::jit::Module &g, double blend, double temperature) {
  if (!has_class_head(g)) throw std::invalid_argument("this generator has no classification head to decode");
  if (!(blend >= 0.0 && blend <= 1.0)) throw std::invalid_argument("blend must be in [0, 1]");
  if (!(temperature > 0.0 && temperature <= 10.0)) throw std::invalid_argument("temperature must be in (0, 10]");
  g.setattr("blend", blend);
  g.setattr("temperature", temperature);
}

bool has_class_head(const torch::jit::Module &g) {
  return g.hasattr("blend") && g.find_method("heads").has_value();
}

namespace {

/// Name -> tensor of a module's parameters and buffers (recursively).
std::map<std::string, torch::Tensor> named_state(const torch::jit::Module &m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto &p : m.named_parameters(true)) out.emplace(p.name, p.value);
  for (const auto &b : m.named_buffers(true)) out.emplace(b.name, b.value);
  return out;
}

}  // namespace

void average_weights(torch::jit::Module &g, const std::vector<torch::jit::Module> &others) {
  std::vector<std::map<std::string, torch::Tensor>> states;
  for (const auto &m : others) states.push_back(named_state(m));
  torch::NoGradGuard no_grad;
  for (const auto &[name, t] : named_state(g)) {
    if (!t.is_floating_point()) continue;  // e.g. batch norm's step counters
    torch::Tensor sum = t.to(torch::kDouble);
    for (const auto &state : states) {
      const auto it = state.find(name);
      if (it == state.end() || it->second.sizes() != t.sizes())
        throw std::invalid_argument("cannot average generators of different shapes (tensor '" + name + "')");
      sum += it->second.to(torch::kDouble);
    }
    t.copy_(sum / double(states.size() + 1));
  }
}

torch::jit::Module rebuild_unet(const UNetConfig &config, const torch::jit::Module &trained) {
  torch::Tensor bin_ab;
  if (config.classes > 0 && trained.hasattr("bin_kernel"))
    bin_ab = trained.attr("bin_kernel").toTensor().reshape({2, config.classes}).t();
  torch::jit::Module g = build_unet(config, bin_ab);
  auto from = named_state(trained);
  const auto to = named_state(g);
  if (from.size() != to.size())
    throw std::invalid_argument("the generator has " + std::to_string(from.size()) + " tensors, its config " +
                                std::to_string(to.size()));
  torch::NoGradGuard no_grad;
  for (const auto &[name, t] : to) {
    const auto it = from.find(name);
    if (it == from.end()) throw std::invalid_argument("the generator has no tensor '" + name + "' of its config");
    if (it->second.sizes() != t.sizes())
      throw std::invalid_argument("tensor '" + name + "' of the generator does not have its config's shape");
    t.copy_(it->second);
  }
  if (has_class_head(g)) set_decoding(g, trained.attr("blend").toDouble(), trained.attr("temperature").toDouble());
  set_training(g, trained.is_training());
  return g;
}

torch::jit::Module build_patchgan(const PatchGanConfig &c) {
  check(c.layers >= 1 && c.layers <= 8, "layers must be in 1..8");
  check(c.width >= 1 && c.in_channels >= 1, "width and channels must be positive");

  auto cu = std::make_shared<torch::jit::CompilationUnit>();
  auto net = new_module("PatchGan", cu);
  std::ostringstream top;
  top << "def forward(self, x):\n    y = x\n";
  // `layers` strided convs, then one stride-1 conv, then the 1-channel output.
  int64_t in = c.in_channels;
  for (int i = 0; i <= c.layers + 1; ++i) {
    const bool first = i == 0, last = i == c.layers + 1;
    const int stride = i < c.layers ? 2 : 1;
    const int64_t out = last ? 1 : filters(c.width, i);
    const bool bn = !first && !last;
    const std::string name = "Conv" + std::to_string(i);
    auto m = new_module("PatchGan" + name, cu);
    add_conv(m, in, out, /*transposed=*/false, /*bias=*/!bn);
    if (bn) add_batch_norm(m, out);
    std::string src = "def forward(self, x):\n";
    src += std::string("    y = torch.conv2d(x, self.weight, ") +
           (bn ? "None" : "self.bias") + ", [" + std::to_string(stride) + ", " +
           std::to_string(stride) + "], [1, 1])\n";
    if (bn) src += batch_norm_line();
    if (!last) src += "    y = torch.leaky_relu(y, " + num(kLeakySlope) + ")\n";
    src += "    return y\n";
    m.define(src);
    net.register_module("conv" + std::to_string(i), m);
    top << "    y = self.conv" << i << ".forward(y)\n";
    in = out;
  }
  top << "    return y\n";
  net.define(top.str());
  return net;
}

std::string to_json(const UNetConfig &c) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  auto add = [&](const char *key, auto value) {
    using T = decltype(value);
    json_builder_set_member_name(b, key);
    if constexpr (std::is_same_v<T, bool>)
      json_builder_add_boolean_value(b, value);
    else if constexpr (std::is_same_v<T, double>)
      json_builder_add_double_value(b, value);
    else if constexpr (std::is_same_v<T, const char *>)
      json_builder_add_string_value(b, value);
    else
      json_builder_add_int_value(b, value);
  };
  json_builder_begin_object(b);
  add("type", c.skips ? "unet" : "encoder-decoder");
  add("depth", c.depth);
  add("width", c.width);
  add("in_channels", c.in_channels);
  add("out_channels", c.out_channels);
  add("dropout_blocks", c.dropout_blocks);
  add("dropout", c.dropout);
  add("skips", c.skips);
  add("upsample", c.upsample == Upsample::Resize ? "resize" : "transposed");
  add("classes", c.classes);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree gchar *text = json_to_string(root, FALSE);
  return text;
}

void set_training(torch::jit::Module &module, bool training) {
  for (auto m : module.modules()) m.setattr("training", training);
}

}  // namespace colorize::nets
