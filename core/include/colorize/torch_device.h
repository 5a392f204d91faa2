// The LibTorch device of a Device choice: the one rule for every program of
// the project that runs LibTorch (Model::load, the trainer). Includes
// LibTorch headers, so it is not part of the installed API.
#pragma once

#include <c10/core/Device.h>

#include "colorize/model.h"

namespace colorize {

/// Cpu: the CPU. Auto: CUDA device `cuda_index` when LibTorch was built
/// with CUDA and a GPU is present, else the CPU. Cuda: CUDA device
/// `cuda_index`. Throws DeviceError saying why when CUDA is asked for (or
/// Auto finds a GPU) and device `cuda_index` cannot be used: LibTorch
/// without CUDA, no GPU or driver, fewer devices than the index.
c10::Device torch_device(Device wanted, int cuda_index = 0);

}  // namespace colorize
