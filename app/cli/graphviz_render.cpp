#include "app/cli/graphviz_render.h"

#include <gvc.h>

#include <memory>
#include <stdexcept>

namespace kvscope::cli {

namespace {

// One context for the process, never freed: Graphviz 2.42 keeps its font cache in a global that
// gvFreeContext frees but a later context still reads.
GVC_t* graphviz() {
  static GVC_t* const gvc = gvContext();
  if (!gvc) throw std::runtime_error("Graphviz: cannot create a context");
  return gvc;
}

}  // namespace

std::string render_graphviz(const std::string& dot, const std::string& format) {
  GVC_t* gvc = graphviz();
  auto close = [](Agraph_t* g) { agclose(g); };
  std::unique_ptr<Agraph_t, decltype(close)> g(agmemread(dot.c_str()), close);
  if (!g) throw std::runtime_error("Graphviz could not read the DOT export");
  if (gvLayout(gvc, g.get(), "dot") != 0) throw std::runtime_error("Graphviz: the dot layout failed");
  char* data = nullptr;
  unsigned int length = 0;
  const int rc = gvRenderData(gvc, g.get(), format.c_str(), &data, &length);
  gvFreeLayout(gvc, g.get());
  if (rc != 0 || !data) {
    if (data) gvFreeRenderData(data);
    throw std::runtime_error("--format " + format + ": Graphviz has no renderer for it (on Debian the libgvc6 " +
                             "package brings the " + format + " plugin)");
  }
  std::string out(data, length);
  gvFreeRenderData(data);
  return out;
}

}  // namespace kvscope::cli
