#pragma once
// The interface's words in English or Chinese (the seeds are Chinese). Every string a panel shows goes through
// tr(); the table in ui_text.cpp holds the Chinese. A string the table lacks shows in English.
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace kvscope::gui {

enum class UiLanguage { En, Zh };
const char* ui_language_name(UiLanguage l);  // "en", "zh"

// The language tr() answers in, for the whole process, as Dear ImGui's own style is.
void set_ui_language(UiLanguage l);
UiLanguage ui_language();

// `en` in the interface language. Format strings keep their printf conversions in the same order, so
// tr("tokens %d") can be given to ImGui::Text. The pointer stays valid for the whole process.
const char* tr(const char* en);

// A message from the core or the command-line helpers in the app's words: "--prompt: ..." names the prompt
// field, "--batch" the batch field, and so on, as the controls label them.
std::string in_app_words(std::string message);

// The table, English to Chinese, for the tests and for the font atlas (which must hold every glyph).
std::span<const std::pair<std::string_view, std::string_view>> ui_translations();

}  // namespace kvscope::gui
