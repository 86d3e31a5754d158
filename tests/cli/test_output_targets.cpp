// Where `-o` and standard output write: a device, FIFO or socket is written in place (never replaced by a
// regular file), a symlink keeps pointing where it did, a replaced file keeps its permission bits, and a failed
// write to standard output is an error exit.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_cli.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using kvscope::test::read_file;
using kvscope::test::TempDir;

namespace {

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("writing with -o keeps a replaced file's permission bits and gives a new one the umask's", "[cli][output]") {
  TempDir dir;
  const fs::path priv = dir.path / "private.json";
  std::ofstream(priv) << "old";
  fs::permissions(priv, fs::perms::owner_read | fs::perms::owner_write);
  const CliResult r = run_cli("trace --steps 2 -o " + priv.string());
  REQUIRE(r.exit_code == 0);
  CHECK(mode_of(priv) == 0600);
  CHECK(read_file(priv.string()).find("prefill_input_embeds") != std::string::npos);

  const mode_t mask = ::umask(0);
  ::umask(mask);
  const fs::path fresh = dir.path / "new.json";
  REQUIRE(run_cli("trace --steps 2 -o " + fresh.string()).exit_code == 0);
  CHECK(mode_of(fresh) == (0666 & ~mask));
}

TEST_CASE("writing with -o through a symlink replaces its target and leaves the link a link", "[cli][output]") {
  TempDir dir;
  const fs::path target = dir.path / "real.txt";
  const fs::path link = dir.path / "link.txt";
  std::ofstream(target) << "old";
  fs::create_symlink("real.txt", link);  // relative, as users make them
  REQUIRE(run_cli("trace --steps 2 -o " + link.string()).exit_code == 0);
  CHECK(fs::is_symlink(fs::symlink_status(link)));
  CHECK(read_file(target.string()).find("prefill_input_embeds") != std::string::npos);
  for (const auto& entry : fs::directory_iterator(dir.path))  // no temporary file left behind
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
}

TEST_CASE("writing with -o onto a FIFO writes into it and leaves it a FIFO", "[cli][output]") {
  TempDir dir;
  const fs::path fifo = dir.path / "pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string received;
  std::thread reader([&] { received = read_file(fifo.string()); });
  const CliResult r = run_cli("trace --steps 2 -o " + fifo.string());
  reader.join();
  CHECK(r.exit_code == 0);
  CHECK(fs::is_fifo(fs::symlink_status(fifo)));
  CHECK(received.find("prefill_input_embeds") != std::string::npos);
}

TEST_CASE("writing with -o onto a character device writes in place: /dev/null stays a device, /dev/full is an error",
          "[cli][output]") {
  const CliResult null = run_cli("trace --steps 2 -o /dev/null");
  CHECK(null.exit_code == 0);
  CHECK(fs::is_character_file(fs::status("/dev/null")));
  const CliResult full = run_cli("trace --steps 2 -o /dev/full");
  CHECK(full.exit_code == 1);
  CHECK(full.out == "kvscope: error: /dev/full: write failed: No space left on device\n");
  CHECK(fs::is_character_file(fs::status("/dev/full")));
}

TEST_CASE("a failed write to standard output is an error exit for every command that prints", "[cli][output]") {
  for (const std::string command : {"trace --steps 2", "export --steps 2", "generate", "compare"}) {
    // stderr to the pipe run_cli reads, stdout to the full device
    const std::string shell = std::string(KVSCOPE_CLI) + " " + command + " 2>&1 >/dev/full";
    FILE* pipe = popen(shell.c_str(), "r");
    REQUIRE(pipe);
    std::string err;
    for (int c; (c = std::fgetc(pipe)) != EOF;) err += static_cast<char>(c);
    const int status = pclose(pipe);
    INFO(command);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
    CHECK(err.rfind("kvscope: error: standard output: write failed", 0) == 0);
  }
}
