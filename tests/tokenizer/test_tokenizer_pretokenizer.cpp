// GPT-2 pre-tokenizer splits, written out by hand (and checked against Python's `regex` module
// running GPT-2's pattern, which is the reference).
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/pretokenizer.h"

namespace {

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> pieces;
  for (const std::string_view piece : strata::pretokenize(text)) pieces.emplace_back(piece);
  return pieces;
}

using Pieces = std::vector<std::string>;

}  // namespace

TEST_CASE("pretokenize: contractions are split off the word", "[tokenizer]") {
  CHECK(split("I'm here") == Pieces{"I", "'m", " here"});
  CHECK(split("she's") == Pieces{"she", "'s"});
  CHECK(split("don't") == Pieces{"don", "'t"});
  CHECK(split("we're") == Pieces{"we", "'re"});
  CHECK(split("they've") == Pieces{"they", "'ve"});
  CHECK(split("I'll") == Pieces{"I", "'ll"});
  CHECK(split("he'd") == Pieces{"he", "'d"});
  // GPT-2's contractions are lower case only; otherwise the quote is punctuation.
  CHECK(split("It'S") == Pieces{"It", "'", "S"});
  CHECK(split("rock'n'roll") == Pieces{"rock", "'", "n", "'", "roll"});
  CHECK(split("''s") == Pieces{"''", "s"});
}

TEST_CASE("pretokenize: digits keep one leading space and split from letters", "[tokenizer]") {
  CHECK(split(" 123") == Pieces{" 123"});
  CHECK(split("abc 123def") == Pieces{"abc", " 123", "def"});
  CHECK(split("2024-05-09") == Pieces{"2024", "-", "05", "-", "09"});
  CHECK(split("x1y2") == Pieces{"x", "1", "y", "2"});
  CHECK(split("\xD9\xA1\xD9\xA2\xD9\xA3 \xD9\xA4") ==  // Arabic-Indic digits are \p{N}
        Pieces{"\xD9\xA1\xD9\xA2\xD9\xA3", " \xD9\xA4"});
  CHECK(split("\xC2\xBD \xC2\xB2") == Pieces{"\xC2\xBD", " \xC2\xB2"});  // "½ ²"
}

TEST_CASE("pretokenize: a whitespace run gives its last space to the next word", "[tokenizer]") {
  CHECK(split("a   b") == Pieces{"a", "  ", " b"});
  CHECK(split("a b") == Pieces{"a", " b"});
  CHECK(split("a\tb") == Pieces{"a", "\t", "b"});  // only a plain space joins the word
  CHECK(split("a \n b") == Pieces{"a", " \n", " b"});
  CHECK(split("\xC2\xA0x") == Pieces{"\xC2\xA0", "x"});  // no-break space is whitespace
}

TEST_CASE("pretokenize: trailing whitespace and newlines", "[tokenizer]") {
  CHECK(split("a ") == Pieces{"a", " "});
  CHECK(split("a  ") == Pieces{"a", "  "});
  CHECK(split(" ") == Pieces{" "});
  CHECK(split("\n") == Pieces{"\n"});
  CHECK(split("a\nb") == Pieces{"a", "\n", "b"});
  CHECK(split("a\n\nb") == Pieces{"a", "\n", "\n", "b"});
  CHECK(split("line1\n  line2") == Pieces{"line", "1", "\n ", " line", "2"});
  CHECK(split("end.\r\n") == Pieces{"end", ".", "\r\n"});
}

TEST_CASE("pretokenize: punctuation runs", "[tokenizer]") {
  CHECK(split("Hello!!! ...world") == Pieces{"Hello", "!!!", " ...", "world"});
  CHECK(split("(a+b)*c;") == Pieces{"(", "a", "+", "b", ")*", "c", ";"});
  CHECK(split(std::string_view("a\0b", 3)) == Pieces{"a", std::string("\0", 1), "b"});
}

TEST_CASE("pretokenize: Unicode letters, marks and emoji", "[tokenizer]") {
  CHECK(split(" caf\xC3\xA9") == Pieces{" caf\xC3\xA9"});
  CHECK(split("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xE3\x83\x86\xE3\x82\xAD") ==  // "日本語 テキ"
        Pieces{"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", " \xE3\x83\x86\xE3\x82\xAD"});
  CHECK(split("\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xD7\xA2\xD7\x95\xD7\x9C\xD7\x9D") ==  // Hebrew
        Pieces{"\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D", " \xD7\xA2\xD7\x95\xD7\x9C\xD7\x9D"});
  // "e" + COMBINING ACUTE + "te": the mark is neither \p{L} nor \p{N}, so it stands alone.
  CHECK(split("e\xCC\x81te") == Pieces{"e", "\xCC\x81", "te"});
  // Thumbs up + skin tone (both symbols) is one punctuation-class run; " ok" is a word.
  CHECK(split("\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD ok") ==
        Pieces{"\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", " ok"});
  // U+180E is not White_Space (since Unicode 6.3), so it joins a symbol run, as in GPT-2.
  CHECK(split("-\xE1\xA0\x8E-") == Pieces{"-\xE1\xA0\x8E-"});
}

TEST_CASE("pretokenize: invalid UTF-8 becomes pieces of its own", "[tokenizer]") {
  CHECK(split("ab\xFF" "cd") == Pieces{"ab", "\xFF", "cd"});
  CHECK(split("a \xC3") == Pieces{"a", " ", "\xC3"});  // a truncated 2-byte character at the end
  CHECK(split("\x80\x80 x") == Pieces{"\x80\x80", " x"});
  CHECK(split("\xED\xA0\x80") == Pieces{"\xED\xA0\x80"});  // an encoded surrogate is invalid
}

TEST_CASE("pretokenize: pieces cover the text exactly", "[tokenizer]") {
  const std::string text = "Mixed: caf\xC3\xA9 \xF0\x9F\x98\x80\xFF  123 it's\n\n\tdone  ";
  std::string joined;
  for (const std::string_view piece : strata::pretokenize(text)) {
    CHECK(!piece.empty());
    CHECK(piece.data() == text.data() + joined.size());  // views into the text, in order
    joined += piece;
  }
  CHECK(joined == text);
  CHECK(strata::pretokenize("").empty());
}
