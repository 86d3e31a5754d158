#pragma once
// What the harnesses share: the input as a file (the parsers that take a path), and the rule that a parser's
// documented exception is a normal rejection. Anything else — a crash, a sanitizer report, another exception
// type, a hang — is a finding: an exception that escapes LLVMFuzzerTestOneInput aborts the run (libFuzzer
// reports "deadly signal" with the exception's what() printed by std::terminate).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <typeinfo>

namespace kvscope::fuzz {

// A directory of this process's own, in /dev/shm when there is one (no disk writes per run), removed at exit.
inline const std::filesystem::path& work_dir() {
  static const std::filesystem::path dir = [] {
    std::error_code ec;
    const std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec)
                                           ? std::filesystem::path("/dev/shm")
                                           : std::filesystem::temp_directory_path();
    std::filesystem::path d = base / ("kvscope-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(work_dir(), ignored);
    });
    return d;
  }();
  return dir;
}

// Writes `bytes` as the whole of `path` (replacing it); aborts when it cannot: a harness that cannot write its
// input tests nothing.
inline void write_whole_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
}

// The fuzz input written to `name` in the work directory; returns its path.
inline std::filesystem::path input_file(const uint8_t* data, size_t size, const std::string& name) {
  const std::filesystem::path path = work_dir() / name;
  write_whole_file(path, std::string_view(reinterpret_cast<const char*>(data), size));
  return path;
}

inline std::string input_text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// An exception the parser does not document: print its type and message, then abort so libFuzzer saves the input.
[[noreturn]] inline void unexpected_exception(const std::exception& e) {
  std::fprintf(stderr, "fuzz: undocumented exception %s: %s\n", typeid(e).name(), e.what());
  std::abort();
}

// Known findings, saved in fuzz/regressions and waiting for their fix, are normal rejections only when
// KVSCOPE_FUZZ_SKIP_KNOWN is set: long runs set it to keep fuzzing past them; scripts/fuzz (and CI) does not.
inline bool skip_known() {
  static const bool skip = std::getenv("KVSCOPE_FUZZ_SKIP_KNOWN") != nullptr;
  return skip;
}

}  // namespace kvscope::fuzz

// Wraps a harness's body: the documented exceptions are caught inside it, anything else reaching here is a finding.
#define KVSCOPE_FUZZ_GUARD(...)               \
  try {                                       \
    __VA_ARGS__                               \
  } catch (const std::exception& e) {         \
    ::kvscope::fuzz::unexpected_exception(e); \
  }
