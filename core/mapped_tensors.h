// Model tensors read in place from the model file, in libcolorize-torch.
//
// LibTorch's loader copies every tensor storage out of the archive into
// fresh memory: for the standard 54 M U-Net, 218 MB of pages the kernel
// zeroes before the copy fills them, the largest part of loading it. The
// file is already mapped (model_archive.h), and TorchScript writes a
// storage uncompressed at a 64-byte boundary, so the mapping holds each
// tensor exactly as the loader would make it. The archive reader here
// skips the copy of such storages; after the load, attach() points each
// tensor holding one of them at its bytes in the mapping. The pages then
// come from the page cache, shared with every process using the same file.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include <caffe2/serialize/read_adapter_interface.h>

#include "model_archive.h"

namespace c10 {
struct Storage;
}
namespace torch::jit {
struct Module;
}

namespace colorize::detail {

/// torch::jit::load()'s reader of a checked archive (read_checked_archive()).
class ArchiveReader final : public caffe2::serialize::ReadAdapterInterface {
 public:
  /// With `map_storages`, the storages of stored_tensor_entries() that start
  /// at a 64-byte boundary are left unread by read(); without, read() copies
  /// everything (as LibTorch's own file reader does).
  ArchiveReader(Bytes bytes, bool map_storages);

  size_t size() const override { return view_.size(); }
  size_t read(uint64_t pos, void *buf, size_t n, const char *what) const override;

  /// After torch::jit::load() from this reader: points every tensor storage
  /// of `module` that read() left unread at its bytes in the mapping, and
  /// returns how many. Returns -1 when `module` holds a value the search for
  /// tensors does not look into (a custom class, a future, ...): a tensor
  /// with an unread storage might then be missed, so the module must be
  /// loaded again without mapping. A storage left unread that no tensor of
  /// `module` holds was freed during the load.
  int attach(const torch::jit::Module &module);

 private:
  struct Unread {
    uint64_t pos;
    size_t size;
  };
  Bytes bytes_;
  std::string_view view_;
  std::unordered_map<uint64_t, size_t> mappable_;  // offset -> size
  mutable std::mutex mutex_;
  mutable std::unordered_map<const void *, Unread> unread_;  // by buffer
};

/// Whether `storage`'s memory is a model file's mapping.
bool is_mapped(const c10::Storage &storage);

}  // namespace colorize::detail
