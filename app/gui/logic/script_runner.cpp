#include "app/gui/logic/script_runner.h"

#include <stdexcept>
#include <utility>

namespace kvscope::gui {

void ScriptRunner::advance(AppState& app) {
  if (app.png_request) return;  // the frame that saves it has not been drawn yet
  if (model_busy(app)) return;  // the model's work in the background: its result is the next command's input
  if (app.job_error) throw std::runtime_error(*std::exchange(app.job_error, std::nullopt));
  if (wait_frames_ > 0) {
    --wait_frames_;
    return;
  }
  while (next_ < commands_.size()) {
    run_command(app, commands_[next_++]);
    if (app.script_frames) {
      wait_frames_ = *std::exchange(app.script_frames, std::nullopt);
      return;
    }
    if (app.png_request || model_busy(app)) return;
  }
}

}  // namespace kvscope::gui
