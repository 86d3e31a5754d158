#include "tests/support/seed_notes.h"

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "tests/support/files.h"

namespace kvscope::test {

namespace {

size_t count_lines_with(const std::string& text, const std::string& needle) {
  std::istringstream lines(text);
  size_t n = 0;
  for (std::string line; std::getline(lines, line);) n += line.find(needle) != std::string::npos;
  return n;
}

}  // namespace

std::string seed_note_path(const std::string& number) {
  const std::filesystem::path dir = KVSCOPE_SEEDS_DIR;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().filename().string().rfind(number + "_", 0) == 0) return entry.path().string();
  throw std::runtime_error("no " + number + "_*.txt seed note in " + dir.string() +
                           (ec ? ": " + ec.message() : std::string()) +
                           " (configure with -DKVSCOPE_SEEDS_DIR=... to point at the notes)");
}

MermaidGraph seed_000_graph() {
  const std::string path = seed_note_path("000");
  const std::string block = mermaid_block(read_file(path));
  MermaidGraph g = read_mermaid(block);
  if (!g.unread.empty()) throw std::runtime_error(path + ": the Mermaid reader skipped the line '" + g.unread[0] + "'");
  // Every node definition carries `<br/>` and every edge `-->`: the reader must have kept them all.
  if (g.nodes.size() != count_lines_with(block, "<br/>"))
    throw std::runtime_error(path + ": read " + std::to_string(g.nodes.size()) + " nodes of " +
                             std::to_string(count_lines_with(block, "<br/>")));
  if (g.edges.size() != count_lines_with(block, "-->"))
    throw std::runtime_error(path + ": read " + std::to_string(g.edges.size()) + " edges of " +
                             std::to_string(count_lines_with(block, "-->")));
  return g;
}

std::vector<int64_t> seed_shape(const MermaidNode& node) {
  std::vector<int64_t> shape;
  std::istringstream dims(node.shape);
  for (std::string dim; std::getline(dims, dim, ',');) shape.push_back(std::stoll(dim));
  return shape;
}

std::vector<std::string> seed_axis_words(const MermaidNode& node) {
  std::vector<std::string> words;
  const std::string sep = ", ";
  size_t start = 0;
  for (size_t at = node.dims.find(sep); at != std::string::npos; at = node.dims.find(sep, start)) {
    words.push_back(node.dims.substr(start, at - start));
    start = at + sep.size();
  }
  words.push_back(node.dims.substr(start));
  return words;
}

}  // namespace kvscope::test
