// docs/reliability.md's catalogue of bad input and faults, run row by row through the binary: the document is
// the test's data, so the table a reader trusts is the table that passes.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

#include "core/config.h"
#include "core/hf_weights.h"
#include "core/weights.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace core = kvscope::core;
using kvscope::test::TempDir;

namespace {

struct Row {
  int line = 0;
  std::string input, command, message, after;
  int exit_code = 0;
};

struct Catalogue {
  std::string prelude;
  std::vector<Row> rows;
};

// A table cell's text: `\|` is a literal bar, and one pair of backticks around the whole cell is markup.
std::string cell_text(std::string cell) {
  const size_t first = cell.find_first_not_of(' '), last = cell.find_last_not_of(' ');
  cell = first == std::string::npos ? "" : cell.substr(first, last - first + 1);
  if (cell.size() >= 2 && cell.front() == '`' && cell.back() == '`') cell = cell.substr(1, cell.size() - 2);
  return cell;
}

std::vector<std::string> split_row(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  for (size_t i = 1; i < line.size(); ++i) {  // past the leading '|'
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      cell += '|';
      ++i;
    } else if (line[i] == '|') {
      cells.push_back(cell_text(cell));
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return cells;
}

// The section "## Catalogue": its first ```bash block is the prelude, its table the rows
// (| # | Input | Command | Message | Exit | After |).
Catalogue read_catalogue(const std::string& path) {
  std::istringstream doc(kvscope::test::read_file(path));
  Catalogue c;
  std::string line;
  int number = 0;
  bool in_section = false, in_prelude = false, prelude_done = false;
  while (std::getline(doc, line)) {
    ++number;
    if (line.rfind("## ", 0) == 0) in_section = line.rfind("## Catalogue", 0) == 0;
    if (!in_section) continue;
    if (in_prelude) {
      if (line == "```") {
        in_prelude = false;
        prelude_done = true;
      } else {
        c.prelude += line + "\n";
      }
    } else if (line == "```bash" && !prelude_done) {
      in_prelude = true;
    } else if (line.rfind("| ", 0) == 0 && line.find("---") == std::string::npos) {
      const std::vector<std::string> cells = split_row(line);
      if (cells.size() != 6) FAIL(path << ":" << number << ": a catalogue row needs 6 cells, has " << cells.size());
      if (cells[0] == "#") continue;  // the header
      Row row;
      row.line = number;
      row.input = cells[1];
      row.command = cells[2];
      row.message = cells[3];
      row.exit_code = std::stoi(cells[4]);
      row.after = cells[5];
      c.rows.push_back(row);
    }
  }
  return c;
}

// `*` matches any text, everything else itself.
bool glob_match(const std::string& pattern, const std::string& text) {
  size_t p = 0, t = 0, star = std::string::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Runs `script` with bash in `dir`; its standard error lands in `err`.
int run_bash(const std::string& dir, const std::string& script_path, const std::string& err) {
  const std::string command = "cd '" + dir + "' && bash '" + script_path + "' > /dev/null 2> '" + err + "' < /dev/null";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The fixtures the prelude documents, written once: seed-tiny's shape in an HF directory, and three copies
// with a bad value in them.
void write_fixtures(const std::string& fix) {
  const core::LlamaConfig c = core::preset_config("seed-tiny");
  const auto save = [&](const std::string& name, const auto& spoil) {
    core::LlamaWeights w = core::random_weights(c, 3);
    spoil(w);
    core::save_hf_weights(fix + "/" + name, c, w, core::DType::F32);
  };
  save("tiny", [](core::LlamaWeights&) {});
  save("nan", [](core::LlamaWeights& w) { w.layers[1].q_proj(2, 5) = std::numeric_limits<float>::quiet_NaN(); });
  save("inf", [](core::LlamaWeights& w) { w.embed_tokens(7, 0) = std::numeric_limits<float>::infinity(); });
  save("overflow", [](core::LlamaWeights& w) { w.lm_head.setConstant(3e38f); });  // finite; their sums are not
}

}  // namespace

TEST_CASE("every row of the catalogue in docs/reliability.md gives its message, exit code and aftermath",
          "[cli][hostile][catalogue]") {
  const Catalogue catalogue = read_catalogue(std::string(KVSCOPE_SOURCE_DIR) + "/docs/reliability.md");
  REQUIRE(!catalogue.prelude.empty());
  REQUIRE(catalogue.rows.size() >= 60);
  TempDir fixtures("catalogue-fixtures");
  write_fixtures(fixtures.path.string());
  const std::string env = "export K='" + std::string(KVSCOPE_CLI) + "' FIX='" + fixtures.path.string() + "' SRC='" +
                          std::string(KVSCOPE_SOURCE_DIR) + "'\n";
  int failures = 0;
  for (const Row& row : catalogue.rows) {
    TempDir work("catalogue-row"), scratch("catalogue-scratch");
    const std::string script = scratch.file("command.sh"), after = scratch.file("after.sh"),
                      err = scratch.file("stderr"), after_err = scratch.file("after-stderr");
    write(script, env + catalogue.prelude + row.command + "\n");
    const int exit_code = run_bash(work.path.string(), script, err);
    std::string message = kvscope::test::read_file(err);
    bool ok = exit_code == row.exit_code;
    if (row.message == "—") {
      ok = ok && message.empty();
    } else {
      // One line, and only one: a second line would be a sanitizer report, a stack trace or a second error.
      ok = ok && !message.empty() && message.back() == '\n' && message.find('\n') == message.size() - 1;
      if (!message.empty() && message.back() == '\n') message.pop_back();
      ok = ok && glob_match(row.message, message);
    }
    int after_code = 0;
    if (row.after != "—") {
      write(after, env + catalogue.prelude + row.after + "\n");
      after_code = run_bash(work.path.string(), after, after_err);
      ok = ok && after_code == 0;
    }
    if (!ok) {
      ++failures;
      UNSCOPED_INFO("docs/reliability.md:"
                    << row.line << ": " << row.input << "\n  command: " << row.command << "\n  exit " << exit_code
                    << " (want " << row.exit_code << "), stderr: " << message << "\n  want: " << row.message
                    << (row.after == "—" ? "" : "\n  after: " + row.after + " -> exit " + std::to_string(after_code)));
    }
  }
  INFO(catalogue.rows.size() << " rows");
  CHECK(failures == 0);
}
