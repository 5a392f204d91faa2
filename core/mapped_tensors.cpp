#include "mapped_tensors.h"

#include <cstring>
#include <unordered_set>

#include <caffe2/serialize/inline_container.h>
#include <torch/script.h>

namespace colorize::detail {
namespace {

/// The context of a storage's DataPtr into the mapping: a reference to the
/// mapping, and where the storage lies in it.
struct MappedStorage {
  GBytes *bytes;
  size_t offset, size;
};

/// A storage freed gives its pages back (those wholly its own), so that a
/// weight replaced at load (transposed_conv.h) leaves the resident set.
void release_storage(void *context) {
  auto *storage = static_cast<MappedStorage *>(context);
  Bytes bytes(storage->bytes);
  release_pages(view(bytes), storage->offset, storage->size);
  delete storage;
}

/// Reads the archive by copying, for LibTorch's own directory reader.
class CopyingReader final : public caffe2::serialize::ReadAdapterInterface {
 public:
  explicit CopyingReader(std::string_view view) : view_(view) {}
  size_t size() const override { return view_.size(); }
  size_t read(uint64_t pos, void *buf, size_t n, const char * /*what*/) const override {
    if (pos >= view_.size()) return 0;
    n = std::min<size_t>(n, view_.size() - pos);
    std::memcpy(buf, view_.data() + pos, n);
    return n;
  }

 private:
  std::string_view view_;
};

/// Where the bytes of each entry of `entries` start in the archive, as
/// LibTorch's reader finds them (after the entry's local header).
std::unordered_map<uint64_t, size_t> data_offsets(std::string_view view, const std::vector<StoredEntry> &entries) {
  std::unordered_map<uint64_t, size_t> offsets;
  if (entries.empty()) return offsets;
  caffe2::serialize::PyTorchStreamReader directory(std::make_shared<CopyingReader>(view));
  for (const StoredEntry &entry : entries) {
    const uint64_t offset = directory.getRecordOffset(entry.name);
    // Tensor memory is 64-byte aligned (the mapping starts on a page).
    if (offset % 64 == 0 && offset + entry.size <= view.size()) offsets.emplace(offset, entry.size);
  }
  return offsets;
}

/// Calls `tensor_found` for every tensor in `value` and what it holds;
/// returns false when it meets a value it does not look into.
template <class F>
bool each_tensor(const c10::IValue &value, std::unordered_set<const void *> &seen, const F &tensor_found) {
  if (value.isTensor()) {
    tensor_found(value.toTensor());
    return true;
  }
  if (value.isObject()) {
    const auto object = value.toObject();
    if (!seen.insert(object.get()).second) return true;
    for (const c10::IValue &slot : object->slots())
      if (!each_tensor(slot, seen, tensor_found)) return false;
    return true;
  }
  if (value.isList()) {
    for (const c10::IValue &item : value.toListRef())
      if (!each_tensor(item, seen, tensor_found)) return false;
    return true;
  }
  if (value.isTuple()) {
    for (const c10::IValue &item : value.toTupleRef().elements())
      if (!each_tensor(item, seen, tensor_found)) return false;
    return true;
  }
  if (value.isGenericDict()) {
    for (const auto &item : value.toGenericDict())
      if (!each_tensor(item.key(), seen, tensor_found) || !each_tensor(item.value(), seen, tensor_found)) return false;
    return true;
  }
  return value.isNone() || value.isInt() || value.isDouble() || value.isBool() || value.isString() ||
         value.isDevice() || value.isComplexDouble();
}

}  // namespace

ArchiveReader::ArchiveReader(Bytes bytes, bool map_storages)
    : bytes_(std::move(bytes)),
      view_(view(bytes_)),
      mappable_(map_storages ? data_offsets(view_, stored_tensor_entries(view_))
                             : std::unordered_map<uint64_t, size_t>{}) {}

size_t ArchiveReader::read(uint64_t pos, void *buf, size_t n, const char * /*what*/) const {
  if (pos >= view_.size()) return 0;
  n = std::min<size_t>(n, view_.size() - pos);
  const auto mappable = mappable_.find(pos);
  if (mappable != mappable_.end() && mappable->second == n) {
    // The whole of a storage, read into the buffer LibTorch has just made
    // for it: left unread (its pages untouched) until attach().
    std::lock_guard<std::mutex> lock(mutex_);
    unread_[buf] = {pos, n};
    return n;
  }
  std::memcpy(buf, view_.data() + pos, n);
  release_pages(view_, pos, n);
  return n;
}

int ArchiveReader::attach(const torch::jit::Module &module) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unread_.empty()) return 0;
  std::unordered_set<const void *> seen;
  std::unordered_set<c10::StorageImpl *> storages;
  const bool complete = each_tensor(module._ivalue(), seen, [&](const at::Tensor &t) {
    if (t.has_storage()) storages.insert(t.storage().unsafeGetStorageImpl());
  });
  if (!complete) return -1;
  int attached = 0;
  for (c10::StorageImpl *storage : storages) {
    const auto it = unread_.find(storage->data());
    if (it == unread_.end() || storage->nbytes() != it->second.size) continue;
    void *data = const_cast<char *>(view_.data()) + it->second.pos;
    auto *context = new MappedStorage{g_bytes_ref(bytes_.get()), it->second.pos, it->second.size};
    storage->set_data_ptr(c10::DataPtr(data, context, release_storage, c10::Device(c10::kCPU)));
    unread_.erase(it);
    ++attached;
  }
  return attached;
}

bool is_mapped(const c10::Storage &storage) { return storage.data_ptr().get_deleter() == release_storage; }

}  // namespace colorize::detail
