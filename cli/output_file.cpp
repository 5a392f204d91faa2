// See output_file.h.
#include "output_file.h"

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <map>
#include <mutex>
#include <set>

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio_ext.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "colorize/error.h"

namespace colorize::cli {
namespace {

constexpr size_t kRandomChars = 6;

/// The named temporary files of this process, so that a process ending at
/// once can remove them. Its mutex also makes a commit (link, rename) one
/// step for discard_unfinished_outputs(). Never destroyed: another thread
/// may use it while the process exits.
struct Registry {
  std::mutex mutex;
  std::set<std::string> named;
};

Registry &registry() {
  static auto *r = new Registry;
  return *r;
}

std::string join(const std::string &dir, const std::string &name) {
  return dir + G_DIR_SEPARATOR_S + name;
}

/// `destination`, or the file it links to when it is a symbolic link to an
/// existing file.
std::string link_target(const std::string &destination) {
  if (!g_file_test(destination.c_str(), G_FILE_TEST_IS_SYMLINK))
    return destination;
  char *real = realpath(destination.c_str(), nullptr);
  if (!real) return destination;  // dangling: the link itself is replaced
  std::string target = real;
  std::free(real);
  return target;
}

bool is_stale(const std::string &path) {
  GStatBuf st;
  if (g_lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_uid != geteuid())
    return false;
  if (std::time(nullptr) - st.st_mtime < kStaleTempMinutes * 60) return false;
  const int fd = g_open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0) return false;
  // A live writer holds the lock; a dead one's went with its process.
  const bool unheld = flock(fd, LOCK_EX | LOCK_NB) == 0;
  close(fd);
  return unheld;
}

/// Links the unnamed file `fd` into `dir` under a fresh temporary name
/// (linkat() cannot replace an existing file, so never the destination
/// itself). Returns the new path, or "" with errno set.
std::string link_unnamed(int fd, const std::string &dir) {
  static const char kChars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const std::string proc_path = "/proc/self/fd/" + std::to_string(fd);
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = kTempPrefix;
    for (size_t i = 0; i < kRandomChars; ++i)
      name += kChars[g_random_int_range(0, int(sizeof kChars) - 1)];
    const std::string path = join(dir, name);
    if (linkat(AT_FDCWD, proc_path.c_str(), AT_FDCWD, path.c_str(),
               AT_SYMLINK_FOLLOW) == 0)
      return path;
    if (errno != EEXIST) break;
  }
  return {};
}

/// Whether an unnamed file made in `dir` can be given a name there: the
/// file system has O_TMPFILE and /proc lets linkat() name it.
bool unnamed_works(const std::string &dir) {
  if (!g_file_test("/proc/self/fd", G_FILE_TEST_IS_DIR)) return false;
  const int fd = open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const std::string path = link_unnamed(fd, dir);
  if (!path.empty()) g_unlink(path.c_str());
  close(fd);
  return !path.empty();
}

/// Once per folder and process: removes the stale temporary files of `dir`
/// and finds out which kind of temporary file works there.
bool use_unnamed(const std::string &dir) {
  static std::mutex mutex;
  static auto *known = new std::map<std::string, bool>;
  std::lock_guard<std::mutex> lock(mutex);
  if (const auto it = known->find(dir); it != known->end()) return it->second;
  remove_stale_temporaries(dir);
  return known->emplace(dir, unnamed_works(dir)).first->second;
}

}  // namespace

bool is_temp_name(const std::string &name) {
  const std::string prefix = kTempPrefix;
  if (name.size() != prefix.size() + kRandomChars ||
      name.compare(0, prefix.size(), prefix) != 0)
    return false;
  for (size_t i = prefix.size(); i < name.size(); ++i)
    if (!g_ascii_isalnum(name[i])) return false;
  return true;
}

void remove_stale_temporaries(const std::string &dir) {
  GDir *d = g_dir_open(dir.c_str(), 0, nullptr);
  if (!d) return;
  while (const char *name = g_dir_read_name(d)) {
    const std::string path = join(dir, name);
    if (is_temp_name(name) && is_stale(path)) g_unlink(path.c_str());
  }
  g_dir_close(d);
}

OutputFile::OutputFile(const std::string &destination, mode_t mode)
    : destination_(destination), target_(link_target(destination)) {
  char *dir = g_path_get_dirname(target_.c_str());
  dir_ = dir;
  g_free(dir);
  try {
    open_temporary(mode);
  } catch (...) {
    discard();
    throw;
  }
}

void OutputFile::open_temporary(mode_t mode) {
  if (use_unnamed(dir_))
    fd_ = open(dir_.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  else
    create_named();
  if (fd_ < 0) fail(errno);
  // The umask applies to `mode` at creation; in-place results want the
  // input's exact mode. On failure the file simply stays private.
  (void)fchmod(fd_, mode);
  (void)flock(fd_, LOCK_EX);
  const cookie_io_functions_t io{nullptr, &OutputFile::write_to, nullptr,
                                 nullptr};
  stream_ = fopencookie(this, "w", io);
  if (!stream_) fail(errno);
  setvbuf(stream_, nullptr, _IOFBF, 1 << 16);
}

OutputFile::~OutputFile() { discard(); }

void OutputFile::discard() {
  if (stream_) {
    if (!committed_) __fpurge(stream_);  // nothing more to write
    std::fclose(stream_);
    stream_ = nullptr;
  }
  if (!committed_) {
    std::lock_guard<std::mutex> lock(registry().mutex);
    if (!named_.empty()) {
      g_unlink(named_.c_str());
      registry().named.erase(named_);
    }
  }
  if (fd_ >= 0) close(fd_);  // an unnamed file goes with its descriptor
  fd_ = -1;
}

void OutputFile::create_named() {
  std::string tmpl = join(dir_, std::string(kTempPrefix) + "XXXXXX");
  std::lock_guard<std::mutex> lock(registry().mutex);
  fd_ = g_mkstemp_full(tmpl.data(), O_WRONLY | O_CLOEXEC, 0600);
  if (fd_ < 0) return;
  named_ = tmpl;
  registry().named.insert(named_);
}

/// Names the unnamed file (see link_unnamed()); called with the registry
/// locked.
void OutputFile::name_unnamed() {
  named_ = link_unnamed(fd_, dir_);
  if (named_.empty())
    throw ImageError("cannot put the result in place as " + destination_ +
                     ": " + g_strerror(errno));
  registry().named.insert(named_);
}

ssize_t OutputFile::write_to(void *self, const char *data, size_t size) {
  auto *out = static_cast<OutputFile *>(self);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = write(out->fd_, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (!out->write_errno_) out->write_errno_ = n < 0 ? errno : EIO;
      break;
    }
    done += size_t(n);
  }
  return ssize_t(done);
}

int64_t OutputFile::seek(int64_t offset, int whence) {
  if (std::fflush(stream_) != 0) return -1;
  const off_t at = lseek(fd_, off_t(offset), whence);
  if (at < 0 && !write_errno_) write_errno_ = errno;
  return at;
}

int64_t OutputFile::read(void *data, int64_t size) {
  if (std::fflush(stream_) != 0) return -1;
  ssize_t n;
  do n = ::read(fd_, data, size_t(size));
  while (n < 0 && errno == EINTR);
  if (n < 0 && !write_errno_) write_errno_ = errno;
  return n;
}

void OutputFile::fail(int error) const {
  if (fd_ < 0)
    throw ImageError("cannot create a temporary file beside " + destination_ +
                     ": " + g_strerror(error));
  throw ImageError("cannot write " + destination_ + ": " + g_strerror(error));
}

void OutputFile::check_written() const {
  if (write_errno_) fail(write_errno_);
}

void OutputFile::commit() {
  const int flushed = std::fflush(stream_);
  check_written();
  if (flushed != 0) fail(errno);
  // The data on disk before the name: a crash after the rename must not
  // leave an empty or partial file under it.
  if (fsync(fd_) != 0 && errno != EINVAL) fail(errno);
  std::lock_guard<std::mutex> lock(registry().mutex);
  if (named_.empty()) name_unnamed();
  if (g_rename(named_.c_str(), target_.c_str()) != 0)
    throw ImageError("cannot rename the result to " + destination_ + ": " +
                     g_strerror(errno));  // the destructor removes it
  registry().named.erase(named_);
  named_.clear();
  committed_ = true;
}

void discard_unfinished_outputs() {
  Registry &r = registry();
  r.mutex.lock();  // kept: no commit may start or finish any more
  for (const std::string &path : r.named) g_unlink(path.c_str());
  r.named.clear();
}

}  // namespace colorize::cli
