// Hugging Face's tokenizer.json (with tokenizer_config.json beside it) read into a BpeVocab: the BPE model,
// added tokens, normalizer, pre-tokenizer, post-processor (for BOS) and decoder of LLaMA-family files.
#include <nlohmann/json.hpp>

#include "tokenizer/internal.h"
#include "tokenizer/vocab.h"

namespace kvscope::tokenizer {

namespace {

using nlohmann::json;

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& what) const { throw TokenizerError(file_ + ": " + what); }

  const json& object(const json& j, const std::string& where) const {
    if (!j.is_object()) fail(where + " is not a JSON object");
    return j;
  }
  std::string string(const json& j, const char* key, const std::string& where, std::string fallback = "") const {
    if (!j.contains(key) || j[key].is_null()) return fallback;
    if (!j[key].is_string()) fail(where + "." + key + " is not a string");
    return j[key].get<std::string>();
  }
  bool boolean(const json& j, const char* key, const std::string& where, bool fallback) const {
    if (!j.contains(key) || j[key].is_null()) return fallback;
    if (!j[key].is_boolean()) fail(where + "." + key + " is not true or false");
    return j[key].get<bool>();
  }
  int integer(const json& j, const char* key, const std::string& where, int fallback) const {
    if (!j.contains(key) || j[key].is_null()) return fallback;
    if (!j[key].is_number_integer()) fail(where + "." + key + " is not an integer");
    return j[key].get<int>();
  }
  std::string type(const json& j, const std::string& where) const {
    object(j, where);
    const std::string t = string(j, "type", where);
    if (t.empty()) fail(where + " has no \"type\"");
    return t;
  }
  // A pattern {"String": "..."} or {"Regex": "..."}: (text, is_regex).
  std::pair<std::string, bool> pattern(const json& j, const std::string& where) const {
    if (!j.contains("pattern")) fail(where + " has no pattern");
    const json& p = object(j["pattern"], where + ".pattern");
    if (p.contains("String") && p["String"].is_string()) return {p["String"].get<std::string>(), false};
    if (p.contains("Regex") && p["Regex"].is_string()) return {p["Regex"].get<std::string>(), true};
    fail(where + ".pattern is neither {\"String\": ...} nor {\"Regex\": ...}");
  }
  // A Metaspace's prepend: the old add_prefix_space, or prepend_scheme "always" / "first" / "never".
  std::pair<bool, bool> prepend_scheme(const json& j, const std::string& where) const {
    if (j.contains("prepend_scheme") && !j["prepend_scheme"].is_null()) {
      const std::string s = string(j, "prepend_scheme", where);
      if (s == "always") return {true, false};
      if (s == "first") return {true, true};
      if (s == "never") return {false, false};
      fail(where + ".prepend_scheme \"" + s + "\" is none of always, first, never");
    }
    return {boolean(j, "add_prefix_space", where, true), false};
  }

  void normalizer(const json& j, const std::string& where, BpeVocab& v) const {
    if (j.is_null()) return;
    const std::string t = type(j, where);
    if (t == "Sequence") {
      if (!j.contains("normalizers") || !j["normalizers"].is_array()) fail(where + ".normalizers is not an array");
      for (size_t i = 0; i < j["normalizers"].size(); ++i)
        normalizer(j["normalizers"][i], where + ".normalizers[" + std::to_string(i) + "]", v);
    } else if (t == "Prepend") {
      v.normalizers.push_back({Normalizer::Kind::prepend, "", string(j, "prepend", where)});
    } else if (t == "Replace") {
      const auto [p, is_regex] = pattern(j, where);
      if (is_regex) fail(where + ": a Replace normalizer with a regex pattern is not supported");
      v.normalizers.push_back({Normalizer::Kind::replace, p, string(j, "content", where)});
    } else {
      fail(where + ": normalizer type \"" + t + "\" is not supported (kvscope reads Sequence, Prepend, Replace)");
    }
  }

  void pre_tokenizer(const json& j, const std::string& where, BpeVocab& v) const {
    if (j.is_null()) return;
    const std::string t = type(j, where);
    if (t == "Sequence") {
      if (!j.contains("pretokenizers") || !j["pretokenizers"].is_array())
        fail(where + ".pretokenizers is not an array");
      for (size_t i = 0; i < j["pretokenizers"].size(); ++i)
        pre_tokenizer(j["pretokenizers"][i], where + ".pretokenizers[" + std::to_string(i) + "]", v);
    } else if (t == "Split") {
      PreTokenizer p{PreTokenizer::Kind::split};
      std::tie(p.pattern, p.is_regex) = pattern(j, where);
      const std::string behavior = string(j, "behavior", where, "Isolated");
      using B = PreTokenizer::Behavior;
      static const std::map<std::string, B> behaviors{{"Isolated", B::isolated},
                                                      {"Removed", B::removed},
                                                      {"MergedWithPrevious", B::merged_with_previous},
                                                      {"MergedWithNext", B::merged_with_next},
                                                      {"Contiguous", B::contiguous}};
      const auto it = behaviors.find(behavior);
      if (it == behaviors.end()) fail(where + ".behavior \"" + behavior + "\" is not a split behavior");
      p.behavior = it->second;
      p.invert = boolean(j, "invert", where, false);
      v.pre_tokenizers.push_back(p);
    } else if (t == "ByteLevel") {
      PreTokenizer p{PreTokenizer::Kind::byte_level};
      p.add_prefix_space = boolean(j, "add_prefix_space", where, true);
      p.use_regex = boolean(j, "use_regex", where, true);
      v.pre_tokenizers.push_back(p);
    } else if (t == "Metaspace") {
      PreTokenizer p{PreTokenizer::Kind::metaspace};
      p.replacement = string(j, "replacement", where, "\xE2\x96\x81");
      std::tie(p.add_prefix_space, p.prepend_first_only) = prepend_scheme(j, where);
      p.split = boolean(j, "split", where, true);
      v.pre_tokenizers.push_back(p);
    } else if (t == "Digits") {
      PreTokenizer p{PreTokenizer::Kind::digits};
      p.individual_digits = boolean(j, "individual_digits", where, false);
      v.pre_tokenizers.push_back(p);
    } else {
      fail(where + ": pre-tokenizer type \"" + t +
           "\" is not supported (kvscope reads Sequence, Split, ByteLevel, Metaspace, Digits)");
    }
  }

  void decoder(const json& j, const std::string& where, BpeVocab& v) const {
    if (j.is_null()) return;
    const std::string t = type(j, where);
    using K = DecoderStep::Kind;
    if (t == "Sequence") {
      if (!j.contains("decoders") || !j["decoders"].is_array()) fail(where + ".decoders is not an array");
      for (size_t i = 0; i < j["decoders"].size(); ++i)
        decoder(j["decoders"][i], where + ".decoders[" + std::to_string(i) + "]", v);
    } else if (t == "Replace") {
      DecoderStep d{K::replace};
      bool is_regex;
      std::tie(d.pattern, is_regex) = pattern(j, where);
      if (is_regex) fail(where + ": a Replace decoder with a regex pattern is not supported");
      d.content = string(j, "content", where);
      v.decoders.push_back(d);
    } else if (t == "ByteFallback") {
      v.decoders.push_back({K::byte_fallback});
    } else if (t == "Fuse") {
      v.decoders.push_back({K::fuse});
    } else if (t == "Strip") {
      DecoderStep d{K::strip};
      d.content = string(j, "content", where, " ");
      d.start = integer(j, "start", where, 0);
      d.stop = integer(j, "stop", where, 0);
      v.decoders.push_back(d);
    } else if (t == "Metaspace") {
      DecoderStep d{K::metaspace};
      d.replacement = string(j, "replacement", where, "\xE2\x96\x81");
      d.prepend = prepend_scheme(j, where).first;
      v.decoders.push_back(d);
    } else if (t == "ByteLevel") {
      v.decoders.push_back({K::byte_level});
    } else {
      fail(where + ": decoder type \"" + t +
           "\" is not supported (kvscope reads Sequence, Replace, ByteFallback, Fuse, Strip, Metaspace, ByteLevel)");
    }
  }

  // The special tokens a TemplateProcessing puts before and after the text ($A), as ids.
  void template_specials(const json& j, const std::string& where, std::vector<int>& before,
                         std::vector<int>& after) const {
    if (j.is_null()) return;
    const std::string t = type(j, where);
    if (t == "Sequence") {
      if (!j.contains("processors") || !j["processors"].is_array()) fail(where + ".processors is not an array");
      for (size_t i = 0; i < j["processors"].size(); ++i)
        template_specials(j["processors"][i], where + ".processors[" + std::to_string(i) + "]", before, after);
      return;
    }
    if (t != "TemplateProcessing") return;  // ByteLevel, RobertaProcessing, ...: no BOS
    if (!j.contains("single") || !j["single"].is_array()) fail(where + ".single is not an array");
    const json specials = j.contains("special_tokens") ? j["special_tokens"] : json::object();
    bool seen_text = false;
    for (const auto& item : j["single"]) {
      if (item.contains("Sequence")) {
        seen_text = true;
      } else if (item.contains("SpecialToken")) {
        const std::string name = string(object(item["SpecialToken"], where + ".single"), "id", where + ".single");
        if (!specials.contains(name) || !specials[name].contains("ids") || !specials[name]["ids"].is_array()) {
          fail(where + ": special token \"" + name + "\" of the template is not in special_tokens");
        }
        for (const auto& id : specials[name]["ids"]) {
          if (!id.is_number_integer()) fail(where + ".special_tokens[\"" + name + "\"].ids holds a non-integer");
          (seen_text ? after : before).push_back(id.get<int>());
        }
      }
    }
  }

 private:
  std::string file_;
};

}  // namespace

std::unique_ptr<Tokenizer> load_hf_tokenizer_json(const std::filesystem::path& path) {
  const std::string file = path.string();
  const Reader r(file);
  const std::string text = detail::read_file(path);
  if (text.empty()) r.fail("empty file, not a tokenizer.json");
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // a syntax error, or a number such as 1e888 that no double holds
    std::string what = e.what();
    for (char& c : what) {
      if (c == '\n') c = ' ';
    }
    r.fail("not valid JSON: " + what);
  }
  r.object(j, "the file");
  if (!j.contains("model")) r.fail("no \"model\": not a Hugging Face tokenizer.json");
  const json& model = r.object(j["model"], "model");
  const std::string model_type = r.string(model, "type", "model", "BPE");
  if (model_type != "BPE") r.fail("model type \"" + model_type + "\" is not supported (kvscope reads BPE)");

  BpeVocab v;
  try {
    if (!model.contains("vocab") || !model["vocab"].is_object()) r.fail("model.vocab is not an object");
    for (const auto& [token, id] : model["vocab"].items()) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > 1 << 24) {
        r.fail("model.vocab[\"" + token + "\"] is not a token id");
      }
      const int i = id.get<int>();
      if (static_cast<size_t>(i) >= v.tokens.size()) v.tokens.resize(static_cast<size_t>(i) + 1);
      if (!v.tokens[i].empty())
        r.fail("model.vocab gives id " + std::to_string(i) + " to both \"" + v.tokens[i] + "\" and \"" + token + "\"");
      v.tokens[i] = token;
    }
    if (model.contains("merges") && !model["merges"].is_null()) {
      if (!model["merges"].is_array()) r.fail("model.merges is not an array");
      for (size_t i = 0; i < model["merges"].size(); ++i) {
        const json& m = model["merges"][i];
        const std::string where = "model.merges[" + std::to_string(i) + "]";
        if (m.is_string()) {
          const std::string s = m.get<std::string>();
          const size_t space = s.find(' ');
          if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
            r.fail(where + " \"" + s + "\" is not two tokens separated by one space");
          }
          v.merges.emplace_back(s.substr(0, space), s.substr(space + 1));
        } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
          v.merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
        } else {
          r.fail(where + " is neither \"a b\" nor [\"a\", \"b\"]");
        }
      }
    }
    v.byte_fallback = r.boolean(model, "byte_fallback", "model", false);
    v.fuse_unk = r.boolean(model, "fuse_unk", "model", false);
    v.ignore_merges = r.boolean(model, "ignore_merges", "model", false);
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
      if (!r.string(model, key, "model").empty()) r.fail(std::string("model.") + key + " is not supported");
    }
    const std::string unk = r.string(model, "unk_token", "model");

    if (j.contains("added_tokens") && !j["added_tokens"].is_null()) {
      if (!j["added_tokens"].is_array()) r.fail("added_tokens is not an array");
      for (size_t i = 0; i < j["added_tokens"].size(); ++i) {
        const std::string where = "added_tokens[" + std::to_string(i) + "]";
        const json& a = r.object(j["added_tokens"][i], where);
        AddedToken t;
        t.id = r.integer(a, "id", where, -1);
        t.content = r.string(a, "content", where);
        if (t.id < 0 || t.id > 1 << 24) r.fail(where + " has no valid id");
        if (t.content.empty()) r.fail(where + " has no content");
        t.special = r.boolean(a, "special", where, false);
        t.lstrip = r.boolean(a, "lstrip", where, false);
        t.rstrip = r.boolean(a, "rstrip", where, false);
        t.single_word = r.boolean(a, "single_word", where, false);
        if (static_cast<size_t>(t.id) < v.tokens.size() && !v.tokens[t.id].empty() && v.tokens[t.id] != t.content) {
          r.fail(where + " gives id " + std::to_string(t.id) + " to \"" + t.content +
                 "\", which model.vocab gives to \"" + v.tokens[t.id] + "\"");
        }
        v.added.push_back(t);
      }
    }
    auto id_of = [&](const std::string& token) {
      for (const auto& a : v.added) {
        if (a.content == token) return a.id;
      }
      for (size_t i = 0; i < v.tokens.size(); ++i) {
        if (v.tokens[i] == token) return static_cast<int>(i);
      }
      return -1;
    };
    if (!unk.empty()) {
      v.unk_id = id_of(unk);
      if (v.unk_id < 0) r.fail("model.unk_token \"" + unk + "\" is not in the vocabulary");
    }

    if (j.contains("normalizer")) r.normalizer(j["normalizer"], "normalizer", v);
    if (j.contains("pre_tokenizer")) r.pre_tokenizer(j["pre_tokenizer"], "pre_tokenizer", v);
    if (j.contains("decoder")) r.decoder(j["decoder"], "decoder", v);
    std::vector<int> before, after;
    if (j.contains("post_processor")) r.template_specials(j["post_processor"], "post_processor", before, after);

    // BOS: tokenizer_config.json's bos_token and add_bos_token, else the template's leading special token.
    const auto config = detail::read_tokenizer_config(path.parent_path());
    v.bos_id = before.empty() ? -1 : before.front();
    v.add_bos = !before.empty();
    if (config.bos_token && id_of(*config.bos_token) >= 0) v.bos_id = id_of(*config.bos_token);
    if (config.add_bos_token) v.add_bos = *config.add_bos_token;
    if (config.eos_token) v.eos_id = id_of(*config.eos_token);
    if (v.eos_id < 0 && !after.empty()) v.eos_id = after.back();
    for (const char* name : {"</s>", "<|endoftext|>", "<|end_of_text|>"}) {
      if (v.eos_id < 0) v.eos_id = id_of(name);
    }
    if (v.unk_id < 0 && config.unk_token) v.unk_id = id_of(*config.unk_token);

    const bool byte_level = std::any_of(v.pre_tokenizers.begin(), v.pre_tokenizers.end(),
                                        [](auto& p) { return p.kind == PreTokenizer::Kind::byte_level; }) ||
                            std::any_of(v.decoders.begin(), v.decoders.end(),
                                        [](auto& d) { return d.kind == DecoderStep::Kind::byte_level; });
    v.kind = byte_level ? "hf-byte-level-bpe" : "hf-bpe";
  } catch (const json::exception& e) {
    r.fail(std::string("unexpected JSON value: ") + e.what());
  }
  return make_bpe_tokenizer(std::move(v), file);
}

}  // namespace kvscope::tokenizer
