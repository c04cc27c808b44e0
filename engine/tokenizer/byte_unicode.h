// GPT-2's byte-to-symbol alphabet (openai/gpt-2 encoder.py, bytes_to_unicode).
//
// Byte-level BPE works on the 256 byte values, but vocab.json and merges.txt spell them as
// printable Unicode characters so that no symbol is whitespace or a control character: the 188
// printable bytes ('!'..'~', U+00A1..U+00AC, U+00AE..U+00FF) stand for themselves and the other
// 68 bytes map, in byte order, to U+0100, U+0101, ... U+0143. A space byte is therefore spelled
// "Ġ" (U+0120) and a newline "Ċ" (U+010A).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata {

// The symbol that stands for `byte` in vocab.json, as UTF-8 (1 or 2 bytes).
std::string byte_symbol(uint8_t byte);

// Turns a vocab token (a string of byte symbols, UTF-8) back into the raw bytes it stands for.
// A character that is not a byte symbol is kept as its own UTF-8 bytes, as HF's ByteLevel decoder
// does, so that odd vocab entries still decode to something readable.
std::string symbols_to_bytes(std::string_view token);

// HF's ByteLevel decoder, token by token: the bytes when every character of `token` is a byte
// symbol, else nullopt (the caller keeps the token as it is).
std::optional<std::string> symbols_only_to_bytes(std::string_view token);

}  // namespace strata
