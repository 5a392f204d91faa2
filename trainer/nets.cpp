// Pix2Pix networks as TorchScript modules built in C++: see nets.h.
//
// Each block is a torch::jit::Module of its own class (Down0, Up0, ...) with
// its parameters registered directly and its forward() written in
// TorchScript with torch.* ops (torch.nn.functional is not available to
// define()). Every module carries a bool `training` attribute: eval() and
// train() only flip that attribute, and batch norm / dropout read it.
#include "nets.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>
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

/// Conv weight [out, in, 4, 4] (or [in, out, 4, 4] for transposed convs)
/// from N(0, 0.02), plus an optional zero bias.
void add_conv(torch::jit::Module &m, int64_t in, int64_t out, bool transposed,
              bool bias) {
  auto w = transposed ? torch::randn({in, out, 4, 4}) : torch::randn({out, in, 4, 4});
  add_parameter(m, "weight", w.mul_(kInitStd));
  if (bias) add_parameter(m, "bias", torch::zeros({out}));
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
  auto m = new_module("Up" + std::to_string(i), cu);
  add_conv(m, in, out, /*transposed=*/true, /*bias=*/outermost);
  if (!outermost) add_batch_norm(m, out);

  std::string src = "def forward(self, x):\n    y = torch.relu(x)\n";
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

}  // namespace

int unet_size_multiple(const UNetConfig &config) {
  return 1 << config.depth;
}

torch::jit::Module build_unet(const UNetConfig &c) {
  check(c.depth >= 2 && c.depth <= 12, "depth must be in 2..12");
  check(c.width >= 1, "width must be positive");
  check(c.in_channels >= 1 && c.out_channels >= 1, "channels must be positive");
  check(c.dropout >= 0.0 && c.dropout < 1.0, "dropout must be in [0, 1)");
  check(c.dropout_blocks >= 0, "dropout_blocks must not be negative");

  auto cu = std::make_shared<torch::jit::CompilationUnit>();
  auto net = new_module(c.skips ? "UNet" : "EncoderDecoder", cu);
  for (int i = 0; i < c.depth; ++i)
    net.register_module("down" + std::to_string(i), build_down(i, c, cu));
  for (int i = 0; i < c.depth; ++i)
    net.register_module("up" + std::to_string(i), build_up(i, c, cu));

  std::ostringstream src;
  src << "def forward(self, x):\n";
  src << "    e0 = self.down0.forward(x)\n";
  for (int i = 1; i < c.depth; ++i)
    src << "    e" << i << " = self.down" << i << ".forward(e" << i - 1 << ")\n";
  src << "    y = self.up" << c.depth - 1 << ".forward(e" << c.depth - 1 << ")\n";
  for (int i = c.depth - 2; i >= 0; --i) {
    if (c.skips)
      src << "    y = self.up" << i << ".forward(torch.cat([e" << i << ", y], 1))\n";
    else
      src << "    y = self.up" << i << ".forward(y)\n";
  }
  src << "    return y\n";
  net.define(src.str());
  return net;
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
  std::ostringstream s;
  s.imbue(std::locale::classic());
  s << "{\"type\": \"" << (c.skips ? "unet" : "encoder-decoder") << "\", "
    << "\"depth\": " << c.depth << ", \"width\": " << c.width
    << ", \"in_channels\": " << c.in_channels
    << ", \"out_channels\": " << c.out_channels
    << ", \"dropout_blocks\": " << c.dropout_blocks
    << ", \"dropout\": " << num(c.dropout)
    << ", \"skips\": " << (c.skips ? "true" : "false") << "}";
  return s.str();
}

void set_training(torch::jit::Module &module, bool training) {
  for (auto m : module.modules()) m.setattr("training", training);
}

}  // namespace colorize::nets
