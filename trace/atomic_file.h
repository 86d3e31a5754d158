#pragma once
// A user's files: read whole, and written without ever leaving half of one behind.
#include <optional>
#include <string>

namespace kvscope::trace {

// The file's bytes; nullopt when it cannot be opened, so each caller throws its own error naming it.
std::optional<std::string> read_file(const std::string& path);

// Writes `content` to a temporary file beside `path`, then renames it over `path`, so a failure or a kill never
// leaves half a file. An existing file keeps its permission bits; a symlink keeps pointing where it did (its
// target is replaced). A device, FIFO or socket (/dev/null, /dev/stdout, a pipe) is written to in place.
// Throws std::runtime_error naming the path when any part fails; the temporary file is removed.
void write_file_atomically(const std::string& path, const std::string& content);

// Flushes standard output and throws std::runtime_error ("standard output: write failed: No space left on
// device") when any write to it failed: a full disk or a closed pipe is an error, not a silent success.
void finish_standard_output();

// The CLI's `-o FILE`: the file, atomically, or standard output when `path` is empty.
void write_output(const std::string& path, const std::string& content);

}  // namespace kvscope::trace
