// kvscope tokenize: a text's token ids and pieces as the model reads them, or the text of token ids.
#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/cli/commands.h"
#include "app/cli/text_input.h"
#include "app/common/token_ids.h"
#include "trace/atomic_file.h"
#include "trace/text_format.h"

namespace kvscope::cli {

namespace {

struct TokenizeFlags {
  app::RunSpec spec;   // --model, --tokenizer
  std::string text;    // --text
  std::string decode;  // --decode
  bool no_bos = false;
  std::string format = "text";
  std::string output;
};

// A tokenizer needs no model: --tokenizer alone loads just the file. With --model, the model's vocabulary
// size comes along, which llama2.c's tokenizer.bin does not store.
std::unique_ptr<tokenizer::Tokenizer> flags_tokenizer(const CLI::App& cmd, const app::RunSpec& spec) {
  if (spec.tokenizer.empty() || cmd.count("--model") > 0)
    return require_tokenizer(spec, core::resolve_model(spec.model));
  try {
    return tokenizer::load_tokenizer(spec.tokenizer);
  } catch (const tokenizer::TokenizerError& e) {
    throw tokenizer::TokenizerError(std::string("--tokenizer: ") + e.what());
  }
}

// Where the tokenizer came from, for the report's first line.
std::string source_of(const app::RunSpec& spec, const tokenizer::Tokenizer& tok) {
  return tok.kind() + (spec.tokenizer.empty() ? " of model " + spec.model : " from " + spec.tokenizer);
}

std::vector<std::string> pieces_of(const tokenizer::Tokenizer& tok, const std::vector<int>& ids) {
  std::vector<std::string> pieces;
  for (int id : ids) pieces.push_back(tok.piece(id));
  return pieces;
}

std::string right(const std::string& s, size_t width) {
  return std::string(width - std::min(width, s.size()), ' ') + s;
}

// index, id and piece, one token a line; whitespace in pieces made visible so "␣" and "↵" show where they are.
std::string piece_table(const std::vector<int>& ids, const std::vector<std::string>& pieces) {
  size_t index_width = 5, id_width = 2;
  for (size_t i = 0; i < ids.size(); ++i) {
    index_width = std::max(index_width, std::to_string(i).size());
    id_width = std::max(id_width, std::to_string(ids[i]).size());
  }
  std::string out = right("index", index_width) + "  " + right("id", id_width) + "  piece\n";
  for (size_t i = 0; i < ids.size(); ++i)
    out += right(std::to_string(i), index_width) + "  " + right(std::to_string(ids[i]), id_width) + "  " +
           trace::visible_piece(pieces[i]) + "\n";
  return out;
}

// Text that is not UTF-8 (a user's bytes) is written with U+FFFD rather than refused.
std::string dump(const nlohmann::ordered_json& j) {
  return j.dump(1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string encode_report(const TokenizeFlags& f, const std::string& source, const tokenizer::Tokenizer& tok) {
  const bool add_bos = !f.no_bos && tok.adds_bos();
  const std::vector<int> ids = tok.encode(f.text, add_bos);
  const std::vector<std::string> pieces = pieces_of(tok, ids);
  if (f.format == "json") return dump({{"tokenizer", tok.kind()}, {"text", f.text}, {"ids", ids}, {"pieces", pieces}});
  const char* bos = f.no_bos ? "no BOS (--no-bos)" : add_bos ? "BOS added" : "no BOS (the tokenizer adds none)";
  return "tokenizer " + source + ", " + bos + "\ntext " + trace::quoted(f.text) + "\n\n" + piece_table(ids, pieces) +
         "\nids " + trace::bracketed_list(ids) + "\n" + std::to_string(ids.size()) + " tokens for " +
         std::to_string(count_characters(f.text)) + " characters (" + std::to_string(f.text.size()) + " bytes)\n";
}

std::string decode_report(const TokenizeFlags& f, const std::string& source, const tokenizer::Tokenizer& tok) {
  std::vector<int> ids;
  try {
    for (int32_t id : app::parse_token_ids(f.decode)) ids.push_back(id);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--decode: ") + e.what());
  }
  std::vector<std::string> pieces;
  std::string text;
  try {
    pieces = pieces_of(tok, ids);
    text = tok.decode(ids);
  } catch (const tokenizer::TokenizerError& e) {  // an id outside the vocabulary
    throw std::invalid_argument(std::string("--decode: ") + e.what());
  }
  if (f.format == "json") return dump({{"tokenizer", tok.kind()}, {"ids", ids}, {"pieces", pieces}, {"text", text}});
  return "tokenizer " + source + "\n\n" + piece_table(ids, pieces) + "\ntext " + trace::quoted(text) + "\n" +
         std::to_string(ids.size()) + " tokens for " + std::to_string(count_characters(text)) + " characters (" +
         std::to_string(text.size()) + " bytes)\n";
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  auto f = std::make_shared<TokenizeFlags>();
  CLI::App* cmd = app.add_subcommand("tokenize", "show the token ids and pieces of a text, or the text of token ids");
  add_model_tokenizer_flags(*cmd, f->spec);
  cmd->add_option("--text,-t", f->text, "text to tokenize")->type_name("TEXT");
  cmd->add_option("--decode,-d", f->decode, "token ids to turn into text, e.g. 1,38,83,73")->type_name("IDS");
  cmd->add_flag("--no-bos", f->no_bos, "leave out the BOS the model's tokenizer puts first");
  cmd->add_option("--format,-f", f->format, "text (a table) or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  add_output_flag(*cmd, f->output);
  cmd->callback([f, cmd] {
    const bool encode = cmd->count("--text") > 0, decode = cmd->count("--decode") > 0;
    if (encode == decode)
      throw std::invalid_argument(encode ? "--text and --decode both given: tokenize a text or decode ids, not both"
                                         : "nothing to do: give --text TEXT to tokenize, or --decode IDS to decode");
    if (decode && f->no_bos) throw std::invalid_argument("--no-bos applies to --text: decoding adds no BOS");
    const std::unique_ptr<tokenizer::Tokenizer> tok = flags_tokenizer(*cmd, f->spec);
    const std::string source = source_of(f->spec, *tok);
    trace::write_output(f->output, encode ? encode_report(*f, source, *tok) : decode_report(*f, source, *tok));
  });
}

}  // namespace kvscope::cli
