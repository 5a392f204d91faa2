#include "model_archive.h"

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <string_view>

#include "colorize/error.h"
#include "colorize/metadata.h"

namespace colorize::detail {
namespace {

/// TorchScript writes tensor storages as `<archive>/data/<number>`; every
/// other entry (sources, pickles, metadata) is searched for __setstate__.
bool is_storage_entry(std::string_view name) {
  const size_t slash = name.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view rest = name.substr(slash + 1);
  if (rest.substr(0, 5) != "data/" || rest.size() == 5) return false;
  return std::all_of(rest.begin() + 5, rest.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct ZipCloser {
  void operator()(zip_t *z) const { zip_discard(z); }
};
struct ZipFileCloser {
  void operator()(zip_file_t *f) const { zip_fclose(f); }
};

/// Reads entry `index` to its end (libzip then verifies its CRC); returns
/// its content when `keep`, else an empty string.
std::string read_entry(zip_t *zip, zip_uint64_t index, const std::string &name, bool keep,
                       const std::string &path) {
  std::unique_ptr<zip_file_t, ZipFileCloser> file(zip_fopen_index(zip, index, 0));
  if (!file) throw ModelError(path + ": the model file is damaged (entry " + name + ": " + zip_strerror(zip) + ")");
  std::string content;
  char buffer[1 << 16];
  for (;;) {
    const zip_int64_t n = zip_fread(file.get(), buffer, sizeof buffer);
    if (n < 0)
      throw ModelError(path + ": the model file is damaged (entry " + name + ": " +
                       zip_file_strerror(file.get()) + ")");
    if (n == 0) break;
    if (!keep) continue;
    if (content.size() + size_t(n) > kMaxArchiveTextEntry)
      refuse(path, "entry " + name + " is larger than " + std::to_string(kMaxArchiveTextEntry >> 20) +
                       " MB, more than a model's code and metadata need");
    content.append(buffer, size_t(n));
  }
  return content;
}

}  // namespace

[[noreturn]] void refuse(const std::string &path, const std::string &why) {
  throw ModelError(path + ": refused: " + why +
                   "; a model file is a program, and colorize runs only what a colorization model needs "
                   "(see \"What a model file may contain\" in models/README.md)");
}

void check_archive(std::string_view bytes, const std::string &path) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t *source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  std::unique_ptr<zip_t, ZipCloser> zip(source ? zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error)
                                               : nullptr);
  if (!zip) {
    if (source) zip_source_free(source);
    const std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw ModelError(path + ": not a TorchScript model file (" + why + ")");
  }
  zip_error_fini(&error);
  std::set<std::string> names;
  const zip_int64_t count = zip_get_num_entries(zip.get(), 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    const char *raw = zip_get_name(zip.get(), zip_uint64_t(i), ZIP_FL_ENC_RAW);
    if (!raw) throw ModelError(path + ": the model file is damaged (" + zip_strerror(zip.get()) + ")");
    const std::string name = raw;
    // LibTorch looks entries up without regard to case.
    std::string folded = name;
    std::transform(folded.begin(), folded.end(), folded.begin(), [](unsigned char c) { return g_ascii_tolower(c); });
    if (!names.insert(folded).second)
      refuse(path, "the archive holds two entries named " + name);
    const bool storage = is_storage_entry(name);
    const std::string content = read_entry(zip.get(), zip_uint64_t(i), name, !storage, path);
    if (!storage && content.find("__setstate__") != std::string::npos)
      refuse(path, name + " defines or names __setstate__, code that would run while the file loads");
  }
}

std::string read_metadata_entry(const std::string &path) {
  int code = 0;
  std::unique_ptr<zip_t, ZipCloser> zip(zip_open(path.c_str(), ZIP_RDONLY, &code));
  if (!zip) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    const std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw ModelError(path + ": not a TorchScript model file (" + why + ")");
  }
  // Every entry lies in the archive's one top folder, named by the first.
  const char *first = zip_get_num_entries(zip.get(), 0) > 0 ? zip_get_name(zip.get(), 0, ZIP_FL_ENC_RAW) : nullptr;
  const char *slash = first ? std::strchr(first, '/') : nullptr;
  if (slash == nullptr) return {};
  const std::string name = std::string(first, slash) + "/extra/" + kMetadataFileName;
  const zip_int64_t index = zip_name_locate(zip.get(), name.c_str(), ZIP_FL_NOCASE | ZIP_FL_ENC_RAW);
  if (index < 0) return {};
  return read_entry(zip.get(), zip_uint64_t(index), name, true, path);
}

void require_metadata(const std::string &path, const std::string &metadata) {
  if (metadata.empty())
    throw ModelError(path + ": the TorchScript archive has no " + std::string(kMetadataFileName) +
                     " metadata (see models/README.md for how to add it)");
}

Bytes read_checked_archive(const std::string &path) {
  // Mapped, not read: the pages come from the page cache, and a tensor
  // LibTorch reads in place (mapped_tensors.h) is never copied. Private and
  // writable, so that a write into such a tensor changes only this process's
  // copy of its page (the file is opened for reading only). A file truncated
  // in place while mapped would fault (SIGBUS); model files are replaced
  // whole (written elsewhere, then renamed).
  const int fd = g_open(path.c_str(), O_RDONLY | O_CLOEXEC, 0);
  GError *error = nullptr;
  GMappedFile *file = fd < 0 ? nullptr : g_mapped_file_new_from_fd(fd, TRUE, &error);
  if (!file) {
    const std::string why = error ? error->message : path + ": " + g_strerror(errno);
    if (error) g_error_free(error);
    if (fd >= 0) g_close(fd, nullptr);
    throw ModelError(why);
  }
  g_close(fd, nullptr);
  Bytes bytes(g_mapped_file_get_bytes(file));
  g_mapped_file_unref(file);
  const std::string_view mapping = view(bytes);
  check_archive(mapping, path);
  release_pages(mapping, 0, mapping.size());
  return bytes;
}

std::vector<StoredEntry> stored_tensor_entries(std::string_view bytes) {
  std::vector<StoredEntry> entries;
  zip_source_t *source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, nullptr);
  std::unique_ptr<zip_t, ZipCloser> zip(source ? zip_open_from_source(source, ZIP_RDONLY, nullptr) : nullptr);
  if (!zip) {
    if (source) zip_source_free(source);
    return entries;
  }
  const zip_int64_t count = zip_get_num_entries(zip.get(), 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t stat;
    if (zip_stat_index(zip.get(), zip_uint64_t(i), ZIP_FL_ENC_RAW, &stat) != 0) continue;
    const std::string_view name = stat.name ? stat.name : "";
    const bool stored = (stat.valid & ZIP_STAT_COMP_METHOD) && stat.comp_method == ZIP_CM_STORE &&
                        (stat.valid & ZIP_STAT_SIZE) && !((stat.valid & ZIP_STAT_ENCRYPTION_METHOD) &&
                                                          stat.encryption_method != ZIP_EM_NONE);
    if (stored && is_storage_entry(name))
      entries.push_back({std::string(name.substr(name.find('/') + 1)), stat.size});
  }
  return entries;
}

void release_pages(std::string_view mapping, size_t offset, size_t length) {
  static const size_t page = size_t(sysconf(_SC_PAGESIZE));
  if (mapping.empty() || offset >= mapping.size()) return;
  length = std::min(length, mapping.size() - offset);
  // The mapping starts on a page boundary; only whole pages inside the range.
  const size_t first = (offset + page - 1) / page * page, end = (offset + length) / page * page;
  if (end > first)
    madvise(const_cast<char *>(mapping.data()) + first, end - first, MADV_DONTNEED);
}

}  // namespace colorize::detail
