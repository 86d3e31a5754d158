#pragma once
// Reading the files tests write and check.
#include <filesystem>
#include <string>

namespace kvscope::test {

// The whole file, byte for byte. Throws std::runtime_error naming the path when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace kvscope::test
