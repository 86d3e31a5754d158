#include "app/gui/logic/script_runner.h"

#include <stdexcept>
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
      size_t used = 0;
      try {
        wait_frames_ = std::stoi(c.args.at(0), &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != c.args[0].size() || wait_frames_ < 0)
        throw std::invalid_argument("line " + std::to_string(c.line) + ", 'frames': needs a frame count, got '" +
                                    c.args[0] + "'");
      return;
    }
    run_command(app, c);
    if (app.png_request) return;
  }
}

}  // namespace kvscope::gui
