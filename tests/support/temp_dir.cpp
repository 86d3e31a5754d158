#include "tests/support/temp_dir.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "tests/support/files.h"

namespace kvscope::test {

namespace {

std::filesystem::path make_temp_dir(const std::string& tag) {
  const std::string pattern = (std::filesystem::temp_directory_path() / ("kvscope-" + tag + "-XXXXXX")).string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  if (::mkdtemp(name.data()) == nullptr)
    throw std::runtime_error("cannot create a temporary directory " + pattern + ": " + std::strerror(errno));
  return std::filesystem::path(name.data());
}

}  // namespace

TempDir::TempDir(const std::string& tag) : path(make_temp_dir(tag)) {}

std::filesystem::path TempDir::write(const std::string& name, const std::string& bytes) const {
  write_binary_file(path / name, bytes);
  return path / name;
}

TempDir::~TempDir() {
  std::error_code ignored;  // a destructor must not throw; a leftover directory is all that can go wrong
  std::filesystem::remove_all(path, ignored);
}

}  // namespace kvscope::test
