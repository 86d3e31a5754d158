#pragma once
// Reading and writing the files tests check.
#include <filesystem>
#include <string>

namespace kvscope::test {

// The whole file, byte for byte. Throws std::runtime_error naming the path when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// Writes `bytes` as the whole of `path`, replacing it. Throws std::runtime_error naming the path when it cannot.
void write_binary_file(const std::filesystem::path& path, const std::string& bytes);

}  // namespace kvscope::test
