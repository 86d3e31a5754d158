#pragma once
// Feeds a script to the app one frame at a time, so what the script does is drawn as it happens and
// commands that need a rendered frame (export png) or time (frames N, play) get it.
#include <vector>

#include "app/gui/logic/app_state.h"
#include "app/gui/logic/script.h"

namespace kvscope::gui {

class ScriptRunner {
 public:
  explicit ScriptRunner(std::vector<Command> commands) : commands_(std::move(commands)) {}

  // Call once per frame before drawing. Runs commands until one has to wait for frames.
  // Errors propagate (a script stops at its first failing command).
  void advance(AppState& app);
  bool finished() const { return next_ >= commands_.size() && wait_frames_ == 0; }

 private:
  std::vector<Command> commands_;
  size_t next_ = 0;
  int wait_frames_ = 0;
};

}  // namespace kvscope::gui
