#pragma once
// `kvscope export --format svg|png`: the DOT export drawn by the Graphviz library the app links, so a picture
// needs no `dot` program.
#include <string>

namespace kvscope::cli {

// The DOT text laid out by dot and rendered as "svg" or "png" (bytes). Throws std::runtime_error when
// Graphviz cannot read, lay out or render it (e.g. its PNG plugin is missing).
std::string render_graphviz(const std::string& dot, const std::string& format);

}  // namespace kvscope::cli
