// Result files written atomically: the data goes to a temporary file in the
// destination's folder, which is renamed over the destination only once it
// is complete, so the destination is either untouched or whole.
//
// The temporary file is unnamed where the folder allows it (Linux's
// O_TMPFILE, named through /proc/self/fd when complete; checked once per
// folder): it gets a name only for the instant between linking it into the
// folder and renaming it, so a process killed in the middle leaves nothing
// behind. Elsewhere it is a named file ".colorize-tmp-XXXXXX" from the
// start. Either name has a fixed length, so any destination name that fits
// the folder works.
// Every temporary file is locked (flock) by the process writing it; a named
// one of this pattern that nobody holds and that has not changed for
// kStaleTempMinutes is a leftover of a killed run, and is removed the next
// time colorize writes into that folder.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include <sys/types.h>

namespace colorize::cli {

/// Names of temporary files: this prefix and 6 letters or digits.
inline constexpr const char *kTempPrefix = ".colorize-tmp-";
/// A named temporary file left this long without a live writer is removed.
inline constexpr int kStaleTempMinutes = 10;

/// True for names of kTempPrefix's pattern.
bool is_temp_name(const std::string &name);

/// Removes the temporary files of `dir` (kTempPrefix's pattern, regular
/// files of this user) that no process holds and that have not changed for
/// kStaleTempMinutes. Errors are ignored: a file that cannot be checked
/// stays.
void remove_stale_temporaries(const std::string &dir);

/// One result file being written.
class OutputFile {
 public:
  /// Creates the temporary file for `destination`, with permissions `mode`.
  /// When `destination` is a symbolic link to an existing file, the result
  /// replaces that file and the link stays as it is. Throws ImageError
  /// naming the destination when the temporary file cannot be created.
  OutputFile(const std::string &destination, mode_t mode);
  /// Removes the temporary file unless commit() has put it in place.
  ~OutputFile();
  OutputFile(const OutputFile &) = delete;
  OutputFile &operator=(const OutputFile &) = delete;

  /// A buffered stream on the temporary file. A failed write is remembered
  /// with its reason (see check_written()).
  std::FILE *stream() const { return stream_; }
  /// Throws ImageError "cannot write <destination>: <reason>" (the
  /// system's text, e.g. "No space left on device") once a write to
  /// stream() has failed; does nothing otherwise.
  void check_written() const;
  /// For writers that go back (a TIFF's directory): flush stream(), then
  /// move in or read back the temporary file, as lseek() and read() do
  /// (-1 on error, which check_written() then reports).
  int64_t seek(int64_t offset, int whence);
  int64_t read(void *data, int64_t size);
  /// Flushes and syncs the data, then renames the file over the
  /// destination. Throws ImageError naming the destination on failure (the
  /// temporary file is removed then).
  void commit();

 private:
  static ssize_t write_to(void *self, const char *data, size_t size);
  void open_temporary(mode_t mode);
  void create_named();
  void name_unnamed();
  [[noreturn]] void fail(int error) const;
  /// Closes and removes the temporary file unless committed.
  void discard();

  std::string destination_;  ///< as given
  std::string target_;       ///< the file replaced (a link resolved)
  std::string dir_;
  int fd_ = -1;
  std::FILE *stream_ = nullptr;
  std::string named_;        ///< the temporary file's name while it has one
  int write_errno_ = 0;
  bool committed_ = false;
};

/// For a process that has to end at once (a second SIGINT): removes every
/// named temporary file of this process and blocks every later commit, so
/// nothing partial or half renamed is left behind. Safe to call from any
/// thread; the caller then ends the process without returning.
void discard_unfinished_outputs();

}  // namespace colorize::cli
