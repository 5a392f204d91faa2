// An LD_PRELOAD module for test-cli-files: open() with O_TMPFILE fails with
// EOPNOTSUPP, as on a file system without unnamed temporary files, so that
// the colorize program's named temporary files are tested too. Everything
// else goes to the C library's open().
#undef _FILE_OFFSET_BITS  // declare open() and open64() as themselves
#undef _FORTIFY_SOURCE    // no inline open() wrapper
#include <cerrno>
#include <cstdarg>

#include <dlfcn.h>
#include <fcntl.h>

namespace {

int call_real(const char *name, const char *path, int flags, mode_t mode) {
  using Open = int (*)(const char *, int, ...);
  auto real = reinterpret_cast<Open>(dlsym(RTLD_NEXT, name));
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  return real(path, flags, mode);
}

int open_without_tmpfile(const char *name, const char *path, int flags,
                         mode_t mode) {
  if ((flags & O_TMPFILE) == O_TMPFILE) {
    errno = EOPNOTSUPP;
    return -1;
  }
  return call_real(name, path, flags, mode);
}

bool needs_mode(int flags) {
  return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
}

}  // namespace

extern "C" int open(const char *path, int flags, ...) {
  mode_t mode = 0;
  if (needs_mode(flags)) {
    va_list args;
    va_start(args, flags);
    mode = va_arg(args, mode_t);
    va_end(args);
  }
  return open_without_tmpfile("open", path, flags, mode);
}

extern "C" int open64(const char *path, int flags, ...) {
  mode_t mode = 0;
  if (needs_mode(flags)) {
    va_list args;
    va_start(args, flags);
    mode = va_arg(args, mode_t);
    va_end(args);
  }
  return open_without_tmpfile("open64", path, flags, mode);
}
