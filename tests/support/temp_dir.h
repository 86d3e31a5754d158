#pragma once
// A fresh, empty directory for one test, removed with everything in it when the TempDir goes out of scope:
// also when a REQUIRE fails or the test throws, since Catch2 unwinds the stack in both cases.
#include <filesystem>
#include <string>

namespace kvscope::test {

class TempDir {
 public:
  // Creates $TMPDIR/kvscope-TAG-XXXXXX (mkdtemp: unique even across parallel test processes).
  explicit TempDir(const std::string& tag = "test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path path;

  std::string file(const std::string& name) const { return (path / name).string(); }
  std::filesystem::path operator/(const std::string& name) const { return path / name; }
  // Writes `bytes` as the file `name` here (write_binary_file) and returns its path.
  std::filesystem::path write(const std::string& name, const std::string& bytes) const;
};

}  // namespace kvscope::test
