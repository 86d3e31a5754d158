#include "trace/atomic_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kvscope::trace {

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

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
  namespace fs = std::filesystem;
  if (path.empty()) throw std::runtime_error("output path is empty");
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);  // follows symlinks
  if (fs::is_directory(status)) throw std::runtime_error(path + ": is a directory");
  if (fs::exists(status) && !fs::is_regular_file(status)) return write_in_place(path, content);
  // A symlink stays a link: the file it points to is what gets replaced.
  fs::path target(path);
  for (int hops = 0; fs::is_symlink(fs::symlink_status(target, ec)); ++hops) {
    if (hops == 40) throw std::runtime_error(path + ": too many levels of symbolic links");
    const fs::path link = fs::read_symlink(target, ec);
    if (ec) throw std::runtime_error(path + ": cannot read the symbolic link: " + ec.message());
    target = link.is_absolute() ? link : target.parent_path() / link;
  }
  const std::string real = target.string();
  struct stat existing {};
  const bool exists = ::stat(real.c_str(), &existing) == 0;
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = mkstemp(tmpl.data());
  if (fd < 0) fail_errno(path, "cannot create a temporary file");
  auto fail = [&](const char* what) {
    const int saved = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    errno = saved;
    fail_errno(path, what);
  };
  write_all(fd, content, fail);
  if (::fsync(fd) != 0) fail("fsync failed");
  // Replacing a file keeps its permission bits (a private 0600 trace stays private); a new one gets open(2)'s.
  if (::fchmod(fd, exists ? (existing.st_mode & 07777) : new_file_mode()) != 0) fail("chmod failed");
  if (::close(fd) != 0) {
    const int saved = errno;
    ::unlink(tmpl.c_str());
    errno = saved;
    fail_errno(path, "close failed");
  }
  if (std::rename(tmpl.c_str(), real.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmpl.c_str());
    errno = saved;
    fail_errno(path, "rename failed");
  }
}

void finish_standard_output() {
  std::cout.flush();
  errno = 0;
  if (!std::cout || std::fflush(stdout) != 0 || std::ferror(stdout))
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
