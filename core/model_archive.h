// The first half of the model file checks (model_guard.h has the second):
// the archive itself, before LibTorch reads any of it. Every zip entry is
// read through libzip, which verifies its CRC (LibTorch's reader does not);
// entry names must be unique, ignoring case as LibTorch's lookup does; and
// no entry but a tensor storage may contain __setstate__, the only
// TorchScript code that runs while a file loads. No LibTorch here.
#pragma once

#include <glib.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace colorize::detail {

/// Largest entry other than a tensor storage (sources, pickles, metadata)
/// that is searched; a larger one is refused.
inline constexpr size_t kMaxArchiveTextEntry = size_t(64) << 20;

/// Checks the bytes of a model file; `path` starts every message. Throws
/// ModelError: not a zip archive, damaged (CRC, truncated), or refused
/// content.
void check_archive(std::string_view bytes, const std::string &path);

struct BytesUnref {
  void operator()(GBytes *b) const { g_bytes_unref(b); }
};
using Bytes = std::unique_ptr<GBytes, BytesUnref>;

/// The bytes of the model file at `path`, mapped into memory (no copy is
/// made of them: a 54 M-parameter model is 218 MB) and checked. The mapping
/// is private and writable: writes stay in this process.
Bytes read_checked_archive(const std::string &path);

inline std::string_view view(const Bytes &bytes) {
  gsize size = 0;
  const void *data = g_bytes_get_data(bytes.get(), &size);
  return {static_cast<const char *>(data), size};
}

/// A tensor storage entry of an archive, stored without compression or
/// encryption, so that its bytes in the file are the tensor's.
struct StoredEntry {
  std::string name;  // inside the archive's top folder: "data/<n>"
  uint64_t size;
};

/// The stored tensor storage entries of the checked archive `bytes`.
std::vector<StoredEntry> stored_tensor_entries(std::string_view bytes);

/// Gives back the memory pages that lie wholly inside bytes [offset, offset +
/// length) of a mapping returned by read_checked_archive(): they leave the
/// process's resident set and are read again from the file if touched. So
/// the mapping does not hold a second copy of the tensors while LibTorch
/// copies them out.
void release_pages(std::string_view mapping, size_t offset, size_t length);

/// The content of the metadata entry of the archive at `path`
/// (<archive>/extra/colorize.json, looked up without regard to case, as
/// LibTorch finds it); empty when there is none. Only the zip directory and
/// that entry are read (its CRC checked). Throws ModelError when the file
/// is not a zip archive or the entry is damaged.
std::string read_metadata_entry(const std::string &path);

/// Throws ModelError when `metadata` (the entry's content) is empty.
void require_metadata(const std::string &path, const std::string &metadata);

/// Throws ModelError "<path>: refused: <why>; a model file is a program…".
[[noreturn]] void refuse(const std::string &path, const std::string &why);

}  // namespace colorize::detail
