#include "tests/support/mermaid_reader.h"

#include <regex>
#include <sstream>
#include <stdexcept>

namespace kvscope::test {

namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  std::string t = s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
  while (!t.empty() && (t.back() == ';' || t.back() == ' ')) t.pop_back();
  return t;
}

std::string decode(std::string s) {
  for (const auto& [code, text] : std::vector<std::pair<std::string, std::string>>{{"#quot;", "\""},
                                                                                   {"#lt;", "<"},
                                                                                   {"#gt;", ">"},
                                                                                   {"#amp;", "&"},
                                                                                   {"#35;", "#"},
                                                                                   {"#96;", "`"},
                                                                                   {"#92;", "\\"}}) {
    for (size_t at = s.find(code); at != std::string::npos; at = s.find(code, at + text.size()))
      s.replace(at, code.size(), text);
  }
  return s;
}

}  // namespace

MermaidGraph read_mermaid(const std::string& text) {
  static const std::regex labelled_pipe(R"re(^(\w+)\s*-->\s*\|"(.*)"\|\s*(\w+)$)re");
  static const std::regex labelled_inline(R"re(^(\w+)\s*--(.+?)-->\s*(\w+)$)re");
  static const std::regex plain(R"re(^(\w+)\s*-->\s*(\w+)$)re");
  static const std::regex quoted_node(R"re(^(\w+)\["(.*)"\]$)re");
  static const std::regex bare_node(R"re(^(\w+)\[(.*)\]$)re");
  static const std::regex titled_subgraph(R"re(^subgraph\s+\w+\s*\["(.*)"\]$)re");
  MermaidGraph g;
  std::vector<std::string> open;
  std::istringstream lines(text);
  std::string raw;
  std::smatch m;
  while (std::getline(lines, raw)) {
    const std::string line = trim(raw);
    if (line.empty() || line.rfind("graph ", 0) == 0 || line.rfind("%%", 0) == 0 || line.rfind("classDef ", 0) == 0 ||
        line.rfind("class ", 0) == 0)
      continue;
    if (line == "end") {
      if (!open.empty()) open.pop_back();
    } else if (std::regex_match(line, m, titled_subgraph)) {
      open.push_back(decode(m[1]));
      g.subgraphs.push_back(open.back());
    } else if (line.rfind("subgraph ", 0) == 0) {
      open.push_back(line.substr(9));
      g.subgraphs.push_back(open.back());
    } else if (std::regex_match(line, m, labelled_pipe)) {
      g.edges.push_back({m[1], m[3], decode(m[2])});
    } else if (std::regex_match(line, m, plain)) {
      g.edges.push_back({m[1], m[2], ""});
    } else if (std::regex_match(line, m, labelled_inline)) {
      g.edges.push_back({m[1], m[3], trim(m[2])});
    } else if (std::regex_match(line, m, quoted_node) || std::regex_match(line, m, bare_node)) {
      const std::string label = m[2];
      const std::string sep = "<br/>";
      const size_t a = label.find(sep), b = a == std::string::npos ? a : label.find(sep, a + sep.size());
      const std::string subgraph = open.empty() ? "" : open.back();
      if (a == std::string::npos) throw std::runtime_error("node label without its parts: " + line);
      if (b == std::string::npos) {
        g.nodes[m[1]] = {decode(label.substr(0, a)), "", "", subgraph, decode(label.substr(a + sep.size()))};
      } else {
        g.nodes[m[1]] = {decode(label.substr(0, a)), decode(label.substr(a + sep.size(), b - a - sep.size())),
                         decode(label.substr(b + sep.size())), subgraph, ""};
      }
    } else {
      g.unread.push_back(line);
    }
  }
  return g;
}

std::string mermaid_block(const std::string& markdown) {
  const std::string open = "```mermaid\n";
  const size_t start = markdown.find(open);
  if (start == std::string::npos) throw std::runtime_error("no ```mermaid block");
  const size_t end = markdown.find("\n```", start + open.size());
  if (end == std::string::npos) throw std::runtime_error("the ```mermaid block is not closed");
  return markdown.substr(start + open.size(), end - start - open.size() + 1);
}

}  // namespace kvscope::test
