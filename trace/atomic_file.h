#pragma once
// A user's files: read whole, and written without ever leaving half of one behind.
#include <optional>
#include <string>

namespace kvscope::trace {

// The file's bytes; nullopt when it cannot be opened, so each caller throws its own error naming it.
std::optional<std::string> read_file(const std::string& path);

// Writes `content` to a temporary file beside `path`, then renames it over `path`.
// Throws std::runtime_error naming the path when any part fails; the temporary file is removed.
void write_file_atomically(const std::string& path, const std::string& content);

// The CLI's `-o FILE`: the file, atomically, or standard output when `path` is empty.
void write_output(const std::string& path, const std::string& content);

}  // namespace kvscope::trace
