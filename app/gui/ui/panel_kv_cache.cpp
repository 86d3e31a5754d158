#include "app/gui/ui/panels.h"

namespace kvscope::gui {

void draw_kv_cache_panel(const AppState& app, ImVec2 size) {
  (void)app;
  ImGui::Dummy(size);
}

}  // namespace kvscope::gui
