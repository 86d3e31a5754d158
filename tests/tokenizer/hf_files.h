#pragma once
// Small Hugging Face tokenizer.json files whose merges and expected ids are worked out by hand (test_hf_json.cpp
// shows the working). Debian packages no Hugging Face `tokenizers` (neither the Rust crate nor the Python
// module), so no reference library could produce these ids; the rules followed are those of tokenizers' BPE
// model (lowest merge rank first, the leftmost pair on a tie), its added-token splitting, normalizers,
// pre-tokenizers and decoders.
#include <string>

namespace kvscope::test {

// LLaMA 2 / TinyLlama style: SentencePiece-like BPE with byte fallback, the ▁ normalizer, template <s> $A.
//   ids: <unk> 0, <s> 1, </s> 2, <0x0A> 3, <0xF0> 4, <0x9F> 5, <0x99> 6, <0x82> 7, <0xE4> 8, <0xB8> 9, <0xAD> 10,
//        ▁ 11, t 12, h 13, e 14, a 15, n 16, d 17, ▁t 18, he 19, ▁the 20, an 21, and 22, ▁and 23, ▁▁ 24
//   merges by rank: 0 "▁ t", 1 "h e", 2 "▁t he", 3 "a n", 4 "an d", 5 "▁ and", 6 "▁ ▁"
inline const char* const kSpStyleJson = R"({
  "version": "1.0",
  "truncation": null,
  "padding": null,
  "added_tokens": [
    {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
  ],
  "normalizer": {"type": "Sequence", "normalizers": [
    {"type": "Prepend", "prepend": "▁"},
    {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}
  ]},
  "pre_tokenizer": null,
  "post_processor": {
    "type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
    "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
             {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
    "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}
  },
  "decoder": {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
    {"type": "ByteFallback"},
    {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0}
  ]},
  "model": {
    "type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null,
    "end_of_word_suffix": null, "fuse_unk": true, "byte_fallback": true,
    "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0x0A>": 3, "<0xF0>": 4, "<0x9F>": 5, "<0x99>": 6, "<0x82>": 7,
              "<0xE4>": 8, "<0xB8>": 9, "<0xAD>": 10, "▁": 11, "t": 12, "h": 13, "e": 14, "a": 15, "n": 16, "d": 17,
              "▁t": 18, "he": 19, "▁the": 20, "an": 21, "and": 22, "▁and": 23, "▁▁": 24},
    "merges": ["▁ t", "h e", "▁t he", "a n", "an d", "▁ and", "▁ ▁"]
  }
})";

// The older form of the same tokenizer (Mistral 7B v0.1 and others): no normalizer, a Metaspace pre-tokenizer
// and decoder, merges as [a, b] pairs.
inline const char* const kMetaspaceJson = R"({
  "added_tokens": [
    {"id": 0, "content": "<unk>", "special": true},
    {"id": 1, "content": "<s>", "special": true},
    {"id": 2, "content": "</s>", "special": true}
  ],
  "normalizer": null,
  "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "add_prefix_space": true},
  "post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
    "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
  "decoder": {"type": "Metaspace", "replacement": "▁", "add_prefix_space": true},
  "model": {
    "type": "BPE", "unk_token": "<unk>", "byte_fallback": true,
    "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0x0A>": 3, "<0xF0>": 4, "<0x9F>": 5, "<0x99>": 6, "<0x82>": 7,
              "<0xE4>": 8, "<0xB8>": 9, "<0xAD>": 10, "▁": 11, "t": 12, "h": 13, "e": 14, "a": 15, "n": 16, "d": 17,
              "▁t": 18, "he": 19, "▁the": 20, "an": 21, "and": 22, "▁and": 23, "▁▁": 24},
    "merges": [["▁", "t"], ["h", "e"], ["▁t", "he"], ["a", "n"], ["an", "d"], ["▁", "and"], ["▁", "▁"]]
  }
})";

// GPT-2 / SmolLM / Llama 3 style byte-level BPE. Text bytes are mapped through GPT-2's byte-to-unicode table:
// " " is Ġ (U+0120), "\n" is Ċ (U+010A), and 🙂 (F0 9F 99 82) is ð Ł Ļ Ĥ (U+00F0 U+0141 U+013B U+0124).
//   ids: H 0, e 1, l 2, o 3, Ġ 4, w 5, r 6, d 7, 4 8, 2 9, ! 10, Ċ 11, ð 12, Ł 13, Ļ 14, Ĥ 15, ll 16, Ġw 17, or 18,
//        He 19, Hell 20, Hello 21, Ġwor 22, Ġworl 23, Ġworld 24, 42 25, Ġ4 26, ðŁ 27, ĻĤ 28, <|endoftext|> 29
//   merges by rank: 0 "Ġ 4", 1 "l l", 2 "Ġ w", 3 "o r", 4 "H e", 5 "He ll", 6 "Hell o", 7 "Ġw or", 8 "Ġwor l",
//                   9 "Ġworl d", 10 "4 2", 11 "ð Ł", 12 "Ļ Ĥ"
// PRE_TOKENIZER is replaced by the pre-tokenizer under test.
inline const char* const kByteLevelJson = R"({
  "added_tokens": [
    {"id": 29, "content": "<|endoftext|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
  ],
  "normalizer": null,
  "pre_tokenizer": PRE_TOKENIZER,
  "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
  "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
  "model": {
    "type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "", "end_of_word_suffix": "",
    "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
    "vocab": {"H": 0, "e": 1, "l": 2, "o": 3, "Ġ": 4, "w": 5, "r": 6, "d": 7, "4": 8, "2": 9, "!": 10, "Ċ": 11,
              "ð": 12, "Ł": 13, "Ļ": 14, "Ĥ": 15, "ll": 16, "Ġw": 17, "or": 18, "He": 19, "Hell": 20, "Hello": 21,
              "Ġwor": 22, "Ġworl": 23, "Ġworld": 24, "42": 25, "Ġ4": 26, "ðŁ": 27, "ĻĤ": 28, "<|endoftext|>": 29},
    "merges": ["Ġ 4", "l l", "Ġ w", "o r", "H e", "He ll", "Hell o", "Ġw or", "Ġwor l", "Ġworl d", "4 2", "ð Ł", "Ļ Ĥ"]
  }
})";

// GPT-2's own pre-tokenizer: ByteLevel splitting with GPT-2's pattern.
inline const char* const kGpt2PreTokenizer =
    R"({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true})";
// Llama 3's: Split with its pattern read from the file (numbers in runs of at most 3 digits, no space before
// them), then ByteLevel without a regex.
inline const char* const kLlama3PreTokenizer = R"({"type": "Sequence", "pretokenizers": [
  {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
   "behavior": "Isolated", "invert": false},
  {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}
]})";

// A character-level tokenizer, as the trained model in assets/models/kjv-char/ ships: BPE with no merges and no
// pre-tokenizer (every character is a token, unknown characters are <unk>), <s> put first, a Fuse decoder.
//   ids: <unk> 0, <s> 1, </s> 2, "\n" 3, " " 4, a 5, b 6, c 7, T 8, "." 9
inline const char* const kCharJson = R"({
  "added_tokens": [
    {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
  ],
  "normalizer": null,
  "pre_tokenizer": null,
  "post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
    "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
    "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
  "decoder": {"type": "Fuse"},
  "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": false, "byte_fallback": false,
    "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "\n": 3, " ": 4, "a": 5, "b": 6, "c": 7, "T": 8, ".": 9},
    "merges": []}
})";

}  // namespace kvscope::test
