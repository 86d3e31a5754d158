// The desktop app's command language (app/gui/logic/script.h): parse_script, as --script and the keyboard
// drive it. Rejection: std::invalid_argument naming the line and the word.
#include "app/gui/logic/script.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kvscope;
  const std::string text = fuzz::input_text(data, size);
  KVSCOPE_FUZZ_GUARD({
    try {
      const std::vector<gui::Command> commands = gui::parse_script(text);
      for (const gui::Command& c : commands) {
        if (c.verb.empty() || c.line < 1) {
          std::fprintf(stderr, "fuzz_gui_script: a command without a verb or line\n");
          std::abort();
        }
      }
    } catch (const std::invalid_argument&) {
    }
  })
  return 0;
}
