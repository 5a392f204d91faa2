// What a model file may contain. A TorchScript file is a program: LibTorch
// runs a class's __setstate__ while it loads the file, and forward() may
// call any operator LibTorch has, including ones that read or write files
// (torch.from_file). A colorization model needs none of that, so core loads
// a file only after these checks:
//
//  1. before LibTorch reads it (model_archive.h): every zip entry is read through libzip, which
//     verifies its CRC (LibTorch's reader does not); names must be unique;
//     no TorchScript source in the archive may define __setstate__;
//  2. after LibTorch has loaded it from those same bytes: every method of
//     every module, with all calls inlined, uses only the operators of
//     allowed_operators() (models/README.md lists them).
#pragma once

#include <string>
#include <vector>

namespace torch::jit {
struct Module;
}

namespace colorize::detail {

/// Checks `module` (loaded from the file at `path`) as in 2. Throws
/// ModelError naming each method and the operators it may not use.
void check_operators(const torch::jit::Module &module, const std::string &path);

/// The allowed operators, sorted (e.g. "aten::conv2d", "prim::If").
const std::vector<std::string> &allowed_operators();

}  // namespace colorize::detail
