// The interface in Chinese: every string a panel passes to tr() has its Chinese, with the same printf conversions.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <set>

#include "app/gui/logic/ui_text.h"
#include "tests/support/files.h"

using namespace kvscope::gui;
namespace fs = std::filesystem;

namespace {

// "%d", "%.3g", "%s", in order; "%%" is not a conversion.
std::vector<std::string> conversions(std::string_view s) {
  static const std::regex kConversion("%[-+ #0]*[0-9]*(\\.[0-9]+)?(z|l|ll|h)?[a-zA-Z%]");
  std::vector<std::string> out;
  const std::string text(s);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kConversion); it != std::sregex_iterator(); ++it)
    if (it->str() != "%%") out.push_back(it->str());
  return out;
}

// The text of every tr("...") in a source file, adjacent literals joined.
std::vector<std::string> tr_literals(const std::string& source) {
  static const std::regex kCall("tr\\(((?:\\s*\"(?:[^\"\\\\]|\\\\.)*\"\\s*)+)\\)");
  static const std::regex kLiteral("\"((?:[^\"\\\\]|\\\\.)*)\"");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(source.begin(), source.end(), kCall); it != std::sregex_iterator(); ++it) {
    const std::string args = (*it)[1].str();
    std::string joined;
    for (auto l = std::sregex_iterator(args.begin(), args.end(), kLiteral); l != std::sregex_iterator(); ++l)
      joined += (*l)[1].str();
    out.push_back(joined);
  }
  return out;
}

}  // namespace

TEST_CASE("each Chinese entry keeps its English's printf conversions, and no English appears twice") {
  std::set<std::string_view> seen;
  for (const auto& [en, zh] : ui_translations()) {
    INFO(en);
    CHECK(seen.insert(en).second);
    CHECK(conversions(en) == conversions(zh));
    CHECK_FALSE(zh.empty());
  }
}

TEST_CASE("every string the panels pass to tr() has its Chinese in the table") {
  std::set<std::string> known;
  for (const auto& entry : ui_translations()) known.insert(std::string(entry.first));
  int literals = 0;
  for (const auto& f : fs::recursive_directory_iterator(fs::path(KVSCOPE_SOURCE_DIR) / "app" / "gui")) {
    if (f.path().extension() != ".cpp") continue;
    for (const std::string& s : tr_literals(kvscope::test::read_file(f.path()))) {
      INFO(f.path().filename().string() << ": " << s);
      CHECK(known.count(s) == 1);
      ++literals;
    }
  }
  CHECK(literals > 100);
}

TEST_CASE("tr answers in the chosen language and falls back to English") {
  set_ui_language(UiLanguage::Zh);
  CHECK(std::string(tr("Step")) == "单步");
  CHECK(std::string(tr("a string no table has")) == "a string no table has");
  set_ui_language(UiLanguage::En);
  CHECK(std::string(tr("Step")) == "Step");
}
