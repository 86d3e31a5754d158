#include "trace/graph_parts.h"

#include <map>
#include <set>

namespace kvscope::trace {

GraphPart mode_part(const Run& run, const Graph& graph) {
  GraphPart p;
  p.run = &run;
  p.graph = &graph;
  p.id = cache_mode_name(run.mode);
  if (run.mode == CacheMode::Cached) {
    p.title_en = "cached: the KV cache keeps past keys and values";
    p.title_zh = "使用 KV cache";
  } else {
    p.title_en = "uncached: the whole sequence runs again";
    p.title_zh = "不使用 KV cache, 每步重算全部 token";
  }
  return p;
}

std::vector<PartIds> unique_part_ids(std::span<const GraphPart> parts) {
  std::vector<PartIds> out(parts.size());
  for (size_t p = 0; p < parts.size(); ++p) {
    for (const GraphNode& n : parts[p].graph->nodes) out[p].nodes.push_back(n.id);
    for (const GraphCluster& c : parts[p].graph->clusters) out[p].clusters.push_back(c.id);
  }
  if (parts.size() < 2) return out;

  std::map<std::string, int> uses;  // how many parts use an id
  for (size_t p = 0; p < parts.size(); ++p) {
    std::set<std::string> mine(out[p].nodes.begin(), out[p].nodes.end());
    mine.insert(out[p].clusters.begin(), out[p].clusters.end());
    mine.insert(parts[p].id);
    for (const std::string& id : mine) ++uses[id];
  }
  std::set<std::string> taken;
  auto claim = [&](const std::string& id, const std::string& prefix) {
    std::string candidate = uses[id] > 1 ? prefix + "_" + id : id;
    for (int n = 2; !taken.insert(candidate).second; ++n) candidate = prefix + "_" + id + "_" + std::to_string(n);
    return candidate;
  };
  for (size_t p = 0; p < parts.size(); ++p) {
    out[p].part = claim(parts[p].id, "part");
    for (std::string& id : out[p].nodes) id = claim(id, parts[p].id);
    for (std::string& id : out[p].clusters) id = claim(id, parts[p].id);
  }
  return out;
}

}  // namespace kvscope::trace
