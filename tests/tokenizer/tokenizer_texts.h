// Texts that the tokenizer reference tests encode with every tokenizer: varied scripts, digits,
// white space runs and odd white space, contractions in both cases, emoji, combining marks that
// NFC composes, control characters, and invalid UTF-8 (which both sides read as U+FFFD).
#pragma once

#include <string>
#include <vector>

namespace strata::test {

using namespace std::string_literals;

inline const std::vector<std::string>& varied_texts() {
  static const std::vector<std::string> texts = {
      "Hello world",
      "The quick brown fox jumps over the lazy dog.",
      "",
      " ",
      "a",
      " leading space",
      "trailing space ",
      "two  spaces   three    four     five",
      "line one\nline two\n\nline four\n",
      "tabs\tand\r\nCRLF\r\n\r\nend",
      "   \n  \n\t\t \n",
      "I'm, you're, he's, we've, they'll, she'd, don't, can't",
      "DON'T I'M WE'LL THEY'RE SHE'S",
      "'s 't 're 've 'm 'll 'd",
      "rock'n'roll o'clock",
      "2023 4,512 3.14159 100% $12.99 555-0199 1st 2nd 3rd",
      "1234567890 0.000001 -42 +7 1e10 12345678901234567890",
      "Hello!!! What?! (yes) [no] {maybe} <tag> a/b\\c @user #hash ~tilde `code` ^caret",
      "...---... ,,, ;;; :::",
      "caf\xC3\xA9 na\xC3\xAFve r\xC3\xA9sum\xC3\xA9 jalape\xC3\xB1o Z\xC3\xBCrich Krak\xC3\xB3w",
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\x86\xE3\x82\xAD\xE3\x82\xB9\xE3\x83"
      "\x88 \xE4\xB8\xAD\xE6\x96\x87\xE6\x96\x87\xE6\x9C\xAC \xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4",
      "emoji \xF0\x9F\x98\x80 \xF0\x9F\x8E\x89\xF0\x9F\x8E\x89 \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD "
      "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7 \xF0\x9F\x87\xAB"
      "\xF0\x9F\x87\xB7",
      "\xCE\x95\xCE\xBB\xCE\xBB\xCE\xB7\xCE\xBD\xCE\xB9\xCE\xBA\xCE\xAC \xD0\xBA\xD0\xB8\xD1\x80"
      "\xD0\xB8\xD0\xBB\xD0\xBB\xD0\xB8\xD1\x86\xD0\xB0 \xD7\xA2\xD7\x91\xD7\xA8\xD7\x99\xD7\xAA "
      "\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9",
      "\xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\xA8\xE0\xA5\x8D\xE0\xA4\xA6\xE0\xA5\x80 \xE0\xB8\xA0\xE0"
      "\xB8\xB2\xE0\xB8\xA9\xE0\xB8\xB2\xE0\xB9\x84\xE0\xB8\x97\xE0\xB8\xA2",
      "math \xE2\x88\x91\xE2\x88\xAB\xE2\x88\x9A\xE2\x88\x9E \xE2\x89\xA0 \xE2\x86\x92 \xC2\xBD "
      "\xE2\x85\xA2 \xEF\xAC\x81 x\xC2\xB2",                       // ½ Ⅲ ﬁ ² change under NFKC
      "e\xCC\x81 A\xCC\x8A n\xCC\x83 \xE1\x84\x80\xE1\x85\xA1",       // NFC composes these
      "nbsp\xC2\xA0" "a ideographic\xE3\x80\x80" "b mongolian\xE1\xA0\x8E" "c nel\xC2\x85" "d",
      "sep\xE2\x80\xA8line para\xE2\x80\xA9x thin\xE2\x80\x89y zw\xE2\x80\x8Bz fs\x1C" "gs\x1D",
      "ctrl \x01\x02\x1B[0m\x7F nul\x00 end"s,
      "bad \xFF\xFE utf8 \xC3 \x80 \xC0\xAF \xED\xA0\x80 \xF4\x90\x80\x80 end",
      "The\xE2\x80\x94" "em dash \xE2\x80\x9Cquotes\xE2\x80\x9D \xE2\x80\x98single\xE2\x80\x99 "
      "\xC2\xABguillemets\xC2\xBB \xE2\x80\xA6",
      "https://example.com/path?query=1&b=2#frag user@example.com",
      "def f(x):\n    return x ** 2  # square\n\n\tif x:\n\t\tpass",
      "\xE2\x96\x81" "already has a metaspace\xE2\x96\x81\xE2\x96\x81 inside",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "zzzzqqqqxxxxjjjj unseen letter runs",
  };
  return texts;
}

}  // namespace strata::test
