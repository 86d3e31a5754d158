#include "trace/atomic_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kvscope::trace {

namespace fs = std::filesystem;

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

[[noreturn]] void fail_errno(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what + ": " + std::strerror(errno));
}

void write_all(int fd, const std::string& content, const std::function<void(const char*)>& fail) {
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write failed");
    }
    done += static_cast<size_t>(n);
  }
}

// A device, FIFO or socket (a terminal, /dev/null, /dev/stdout, a pipe) is written to where it is: replacing it
// with a regular file would break the machine's /dev/null for everyone, and a rename cannot reach a pipe.
void write_in_place(const std::string& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) fail_errno(path, "cannot open for writing");
  write_all(fd, content, [&](const char* what) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    fail_errno(path, what);
  });
  if (::close(fd) != 0) fail_errno(path, "close failed");
}

// The mode a new file gets from open(2): 0666 less the umask.
mode_t new_file_mode() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

// Opens an unnamed temporary file in `dir` (O_TMPFILE): until it is linked it has no name, so a kill -9 while it
// is written leaves nothing behind. -1 with errno when the file system cannot (EOPNOTSUPP, EISDIR, EINVAL).
int open_unnamed(const fs::path& dir) { return ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600); }

// Gives the unnamed file `fd` the name `name` (through /proc/self/fd, which needs no privilege, unlike
// AT_EMPTY_PATH).
bool link_unnamed(int fd, const std::string& name) {
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  return ::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0;
}

// The regular file (or symlink to one, or new path) that `path` names, after following every symlink.
fs::path final_target(const std::string& path) {
  std::error_code ec;
  fs::path target(path);
  for (int hops = 0; fs::is_symlink(fs::symlink_status(target, ec)); ++hops) {
    if (hops == 40) throw std::runtime_error(path + ": too many levels of symbolic links");
    const fs::path link = fs::read_symlink(target, ec);
    if (ec) throw std::runtime_error(path + ": cannot read the symbolic link: " + ec.message());
    target = link.is_absolute() ? link : target.parent_path() / link;
  }
  return target;
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
  if (path.empty()) throw std::runtime_error("output path is empty");
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);  // follows symlinks
  if (fs::is_directory(status)) throw std::runtime_error(path + ": is a directory");
  if (fs::exists(status) && !fs::is_regular_file(status)) return write_in_place(path, content);
  // A symlink stays a link: the file it points to is what gets replaced.
  const fs::path target = final_target(path);
  const std::string real = target.string();
  struct stat existing {};
  const bool exists = ::stat(real.c_str(), &existing) == 0;
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string temp = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  // The data goes to an unnamed file, which gets a temporary name only once it is complete, for the moment of
  // the rename; where the file system has no O_TMPFILE, a named temporary file (removed on failure) is used.
  int fd = open_unnamed(dir);
  const bool unnamed = fd >= 0;
  if (!unnamed) fd = mkstemp(temp.data());
  if (fd < 0) fail_errno(path, "cannot create a temporary file");
  bool named = !unnamed;
  auto fail = [&](const char* what) {
    const int saved = errno;
    if (fd >= 0) ::close(fd);
    if (named) ::unlink(temp.c_str());
    errno = saved;
    fail_errno(path, what);
  };
  write_all(fd, content, fail);
  if (::fsync(fd) != 0) fail("fsync failed");
  // Replacing a file keeps its permission bits (a private 0600 trace stays private); a new one gets open(2)'s.
  if (::fchmod(fd, exists ? (existing.st_mode & 07777) : new_file_mode()) != 0) fail("chmod failed");
  if (unnamed) {
    // A fresh name beside the target; linkat never replaces, so a name taken meanwhile just means another try.
    std::random_device entropy;
    bool linked = false;
    for (int attempt = 0; attempt < 100 && !linked; ++attempt) {
      char suffix[32];
      std::snprintf(suffix, sizeof suffix, ".tmp-%d-%08x", static_cast<int>(::getpid()), entropy());
      temp = (dir / ("." + target.filename().string() + suffix)).string();
      linked = link_unnamed(fd, temp);
      if (!linked && errno != EEXIST) break;
    }
    if (!linked) fail("cannot link the temporary file");
    named = true;
  }
  const int closing = fd;
  fd = -1;
  if (::close(closing) != 0) fail("close failed");
  if (std::rename(temp.c_str(), real.c_str()) != 0) fail("rename failed");
}

void finish_standard_output() {
  errno = 0;  // the reason of the first failed flush, as the flush sets it
  const bool ok = std::cout.flush() && std::fflush(stdout) == 0 && !std::ferror(stdout);
  if (!ok)
    throw std::runtime_error(std::string("standard output: write failed") + (errno ? ": " : "") +
                             (errno ? std::strerror(errno) : ""));
}

void write_output(const std::string& path, const std::string& content) {
  if (path.empty()) {
    finish_standard_output();  // what was printed before comes first
    write_all(STDOUT_FILENO, content, [](const char* what) { fail_errno("standard output", what); });
  } else {
    write_file_atomically(path, content);
  }
}

}  // namespace kvscope::trace
