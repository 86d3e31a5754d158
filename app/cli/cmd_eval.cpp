// kvscope eval: how well the model predicts a text file, as the mean loss per token (with bits per token and
// perplexity), computed as kjv-char's reference.json defines its held-out loss.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/cli/commands.h"
#include "app/cli/text_input.h"
#include "core/evaluate.h"
#include "tokenizer/utf8.h"
#include "trace/atomic_file.h"

namespace kvscope::cli {

namespace {

struct EvalFlags {
  app::RunSpec spec;           // --model, --tokenizer
  std::string file;            // --text
  std::optional<int> context;  // default: the model's max_position_embeddings
  std::string format = "text";
  std::string output;
};

struct Evaluation {
  std::string model, tokenizer, file;
  size_t characters = 0, tokens = 0;
  int context = 0;
  bool bos = false;
  core::Loss loss;
  double seconds = 0.0;
};

// The file's text, one line naming it when it cannot be read, is empty, or is not UTF-8 (a binary file
// would be scored as replacement characters).
std::string read_text(const std::string& path) {
  const std::optional<std::string> text = std::filesystem::is_directory(path) ? std::nullopt : trace::read_file(path);
  if (!text) throw std::runtime_error("--text " + path + ": cannot read the file");
  if (text->empty()) throw std::runtime_error("--text " + path + ": the file is empty");
  for (size_t i = 0; i < text->size();) {
    const size_t length = tokenizer::utf8::char_length(std::string_view(*text).substr(i));
    if (length == 0)
      throw std::runtime_error("--text " + path + ": not UTF-8 text (byte " + std::to_string(i) +
                               " starts no character)");
    i += length;
  }
  return *text;
}

// The window the model reads at once: --context, at most what it was built for.
int context_of(const EvalFlags& f, const core::LlamaConfig& config) {
  const int max = config.max_position_embeddings;
  if (!f.context) return max;
  if (*f.context < 2 || *f.context > max)
    throw std::invalid_argument("--context " + std::to_string(*f.context) + " must be in [2, " + std::to_string(max) +
                                "]: a chunk predicts from two positions at least, and model '" + f.spec.model +
                                "' reads at most max_position_embeddings = " + std::to_string(max));
  return *f.context;
}

// The ids of the whole text, no BOS: the chunks add it. A tokenizer of another model may give ids this model
// has no embedding for.
std::vector<int32_t> encode_for(const tokenizer::Tokenizer& tok, const std::string& text,
                                const core::LlamaConfig& config, const EvalFlags& f) {
  std::vector<int32_t> ids;
  for (int id : tok.encode(text, false)) {
    if (id >= config.vocab_size)
      throw std::invalid_argument("the " + tok.kind() + " tokenizer gives token id " + std::to_string(id) +
                                  ", outside the vocabulary [0, " + std::to_string(config.vocab_size) + ") of model '" +
                                  f.spec.model + "': give the model's own tokenizer with --tokenizer");
    ids.push_back(static_cast<int32_t>(id));
  }
  return ids;
}

Evaluation evaluate(const EvalFlags& f) {
  const std::string text = read_text(f.file);
  const core::ModelSource source = core::resolve_model(f.spec.model);
  const std::unique_ptr<tokenizer::Tokenizer> tok = require_tokenizer(f.spec, source);
  Evaluation e;
  e.model = f.spec.model;
  e.tokenizer = tok->kind();
  e.file = f.file;
  e.characters = count_characters(text);
  e.context = context_of(f, source.config);
  // BOS first when the model reads text so; a tokenizer without one gets chunks predicted from their 2nd id.
  e.bos = tok->adds_bos() && tok->bos_id() >= 0;
  const std::vector<int32_t> ids = encode_for(*tok, text, source.config, f);
  e.tokens = ids.size();
  if (ids.size() < (e.bos ? 1u : 2u)) throw std::runtime_error("--text " + f.file + ": too few tokens to predict any");
  core::LlamaModel model = core::load_model(source, f.spec.seed, false);
  const auto start = std::chrono::steady_clock::now();
  e.loss = core::chunked_loss(model, ids, e.context, e.bos ? std::optional<int32_t>(tok->bos_id()) : std::nullopt);
  e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return e;
}

std::string fixed(double value, int digits) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << value;
  return out.str();
}

std::string text_report(const Evaluation& e) {
  const double loss = e.loss.mean();
  const std::string windows = e.bos ? "BOS + up to " + std::to_string(e.context - 1) + " ids each"
                                    : "up to " + std::to_string(e.context) + " ids each, no BOS";
  return "model       " + e.model + "\ntokenizer   " + e.tokenizer + "\nfile        " + e.file + "\ntext        " +
         std::to_string(e.characters) + " characters, " + std::to_string(e.tokens) + " tokens, " +
         std::to_string(e.loss.predicted) + " predicted\nchunks      " + std::to_string(e.loss.sequences) + " (" +
         windows + ", context " + std::to_string(e.context) + ")\nloss        " + fixed(loss, 6) +
         " nats/token\nbits/token  " + fixed(loss / std::log(2.0), 4) + "\nperplexity  " + fixed(std::exp(loss), 4) +
         "\ntime        " + fixed(e.seconds, 2) + " s\n";
}

std::string json_report(const Evaluation& e) {
  const double loss = e.loss.mean();
  const nlohmann::ordered_json j{{"model", e.model},
                                 {"tokenizer", e.tokenizer},
                                 {"file", e.file},
                                 {"characters", e.characters},
                                 {"tokens", e.tokens},
                                 {"predicted", e.loss.predicted},
                                 {"chunks", e.loss.sequences},
                                 {"context", e.context},
                                 {"bos", e.bos},
                                 {"loss", loss},
                                 {"bits_per_token", loss / std::log(2.0)},
                                 {"perplexity", std::exp(loss)},
                                 {"seconds", e.seconds}};
  return j.dump(1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto f = std::make_shared<EvalFlags>();
  CLI::App* cmd = app.add_subcommand("eval", "the model's mean loss per token on a text file (and perplexity)");
  add_model_tokenizer_flags(*cmd, f->spec);
  cmd->add_option("--text,-t", f->file, "text file to score")->required()->type_name("FILE");
  cmd->add_option_function<int>(
         "--context,-c", [f](int n) { f->context = n; },
         "positions per forward pass (default: max_position_embeddings)")
      ->type_name("N");
  cmd->add_option("--format,-f", f->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  add_output_flag(*cmd, f->output);
  cmd->callback([f] {
    const Evaluation e = evaluate(*f);
    trace::write_output(f->output, f->format == "json" ? json_report(e) : text_report(e));
  });
}

}  // namespace kvscope::cli
