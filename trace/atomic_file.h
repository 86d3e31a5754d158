#pragma once
// Writing a user's output file without ever leaving half of it behind.
#include <string>

namespace kvscope::trace {

// Writes `content` to a temporary file beside `path`, then renames it over `path`.
// Throws std::runtime_error naming the path when any part fails; the temporary file is removed.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace kvscope::trace
