#pragma once
// Reads the flowcharts of seed 000 (`a-->b;`, `id[label];`, `a --循环26次--> b`) and of kvscope's
// exporter (`id["label"]`, `a -->|"label"| b`, `subgraph id ["title"]`) into one form the tests compare.
#include <map>
#include <string>
#include <vector>

namespace kvscope::test {

struct MermaidNode {
  std::string name, shape, dims;  // the three `<br/>` parts of the label, entity codes decoded
  std::string subgraph;           // title of the subgraph holding the definition, empty outside
  std::string text;               // input_string's label is two parts: its name and the text, quoted
};

struct MermaidEdge {
  std::string from, to, label;
};

struct MermaidGraph {
  std::map<std::string, MermaidNode> nodes;  // by id: nodes with a label definition
  std::vector<MermaidEdge> edges;
  std::vector<std::string> subgraphs;  // titles, in order
  std::vector<std::string> unread;     // lines that were none of the above
};

MermaidGraph read_mermaid(const std::string& text);
// The ```mermaid block of a Markdown file.
std::string mermaid_block(const std::string& markdown);

}  // namespace kvscope::test
