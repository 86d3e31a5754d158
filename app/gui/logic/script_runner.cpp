#include "app/gui/logic/script_runner.h"

#include <string>

namespace kvscope::gui {

void ScriptRunner::advance(AppState& app) {
  if (app.png_request) return;  // the frame that saves it has not been drawn yet
  if (wait_frames_ > 0) {
    --wait_frames_;
    return;
  }
  while (next_ < commands_.size()) {
    const Command& c = commands_[next_++];
    if (c.verb == "frames") {
      wait_frames_ = std::stoi(c.args.at(0));
      return;
    }
    run_command(app, c);
    if (app.png_request) return;
  }
}

}  // namespace kvscope::gui
