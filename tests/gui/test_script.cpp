#include <catch2/catch.hpp>

#include "app/gui/logic/script.h"

using kvscope::gui::parse_script;
using kvscope::gui::parse_token_ids;

TEST_CASE("a script splits on semicolons and newlines and keeps each command's words") {
  auto cmds = parse_script("prefill; step; step 3\n# a comment\nselect pos_key_states 1 ; export mermaid out.mmd");
  REQUIRE(cmds.size() == 5);
  CHECK(cmds[0].verb == "prefill");
  CHECK(cmds[2].verb == "step");
  CHECK(cmds[2].args == std::vector<std::string>{"3"});
  CHECK(cmds[3].verb == "select");
  CHECK(cmds[3].args == std::vector<std::string>{"pos_key_states", "1"});
  CHECK(cmds[3].line == 3);
  CHECK(cmds[4].args == std::vector<std::string>{"mermaid", "out.mmd"});
}

TEST_CASE("unknown commands and wrong argument counts name the line") {
  CHECK_THROWS_WITH(parse_script("prefill\nwobble"), Catch::Contains("line 2") && Catch::Contains("wobble"));
  CHECK_THROWS_WITH(parse_script("export mermaid"), Catch::Contains("export") && Catch::Contains("got 1"));
  CHECK_THROWS_WITH(parse_script("prefill now"), Catch::Contains("takes 0"));
}

TEST_CASE("a script argument is a file when one exists by that name, else the commands") {
  CHECK(kvscope::gui::script_text_from_argument("prefill; step") == "prefill; step");
  CHECK(kvscope::gui::script_text_from_argument("no-such-file.txt") == "no-such-file.txt");
}

TEST_CASE("prompt ids parse from a comma list and reject anything else") {
  CHECK(parse_token_ids("12,81, 92") == std::vector<int32_t>{12, 81, 92});
  CHECK_THROWS_WITH(parse_token_ids("12,x"), Catch::Contains("'x'"));
  CHECK_THROWS(parse_token_ids("3.5"));
}
