#pragma once
// The SentencePiece reference fixtures (fixtures/make-fixtures.sh): a model trained by spm_train, its llama2.c
// export, and reference.json, the ids, pieces and decoded text of tricky strings from SentencePiece's Python
// library.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/files.h"

namespace kvscope::test {

inline std::string fixture(const std::string& name) { return std::string(KVSCOPE_TOKENIZER_FIXTURES) + "/" + name; }

struct ReferenceCase {
  std::string text;
  std::vector<int> ids, ids_bos;
  std::vector<std::string> pieces;
  std::string decoded;
};

struct ReferenceDecode {
  std::vector<int> ids;
  std::string decoded;
};

struct Reference {
  std::vector<ReferenceCase> encode;
  std::vector<ReferenceDecode> decode;
  int vocab_size, bos_id, eos_id, unk_id;
};

inline Reference reference() {
  const auto j = nlohmann::json::parse(read_file(fixture("reference.json")));
  Reference r;
  for (const auto& c : j.at("encode")) {
    r.encode.push_back({c.at("text"), c.at("ids"), c.at("ids_bos"), c.at("pieces"), c.at("decoded")});
  }
  for (const auto& c : j.at("decode")) r.decode.push_back({c.at("ids"), c.at("decoded")});
  r.vocab_size = j.at("vocab_size");
  r.bos_id = j.at("bos_id");
  r.eos_id = j.at("eos_id");
  r.unk_id = j.at("unk_id");
  return r;
}

}  // namespace kvscope::test
