#pragma once
// Reads the seed note 000 (a Mermaid graph) into its nodes and edges, so tests never retype it.
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <dirent.h>

struct SeedNode {
  std::vector<int64_t> shape;
  std::vector<std::string> labels;
};

struct SeedGraph {
  std::map<std::string, SeedNode> nodes;
  std::vector<std::pair<std::string, std::string>> edges;
};

inline std::string seed_file(const std::string& prefix) {
  const std::string dir = KVSCOPE_SEEDS_DIR;
  DIR* d = opendir(dir.c_str());
  std::string found;
  if (!d) return found;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind(prefix, 0) == 0) found = dir + "/" + name;
  }
  closedir(d);
  return found;
}

inline std::vector<std::string> split_list(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, sep)) {
    const auto a = item.find_first_not_of(' ');
    const auto b = item.find_last_not_of(' ');
    out.push_back(a == std::string::npos ? "" : item.substr(a, b - a + 1));
  }
  return out;
}

inline size_t count_lines_with(const std::string& path, const std::string& text) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(text) != std::string::npos;
  return n;
}

inline SeedGraph read_seed_graph(const std::string& path) {
  SeedGraph g;
  std::ifstream in(path);
  const std::regex node(R"(^(\w+)\[(\w+)<br/>([0-9, ]+)<br/>(.*)\];?$)");
  const std::regex edge(R"(^(\w+)\s*(--[^>]*)?-->\s*(\w+);?$)");
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, node)) {
      SeedNode n;
      for (const auto& s : split_list(m[3], ',')) n.shape.push_back(std::stoll(s));
      // Labels are separated by ", " except inside the mask's own label, which holds a comma of its own.
      const std::string labels = m[4];
      std::string current;
      for (size_t i = 0; i < labels.size(); ++i) {
        if (labels.compare(i, 2, ", ") == 0) {
          n.labels.push_back(current);
          current.clear();
          ++i;
        } else {
          current += labels[i];
        }
      }
      n.labels.push_back(current);
      g.nodes[m[1]] = n;
    } else if (std::regex_match(line, m, edge)) {
      g.edges.emplace_back(m[1], m[3]);
    }
  }
  return g;
}
