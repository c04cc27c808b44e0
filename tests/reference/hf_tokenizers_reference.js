#!/usr/bin/env node
// The reference for Strata's tokenizer.json tokenizer: Hugging Face's own `tokenizers` library
// (its Rust core, through the npm package's prebuilt binding), run on the same tokenizer.json.
//
// Usage: node hf_tokenizers_reference.js REQUEST.json RESPONSE.json
// REQUEST: {"tokenizer": "path/to/tokenizer.json",
//           "texts_base64": [...],   // raw bytes; invalid UTF-8 is read as TextDecoder does
//                                     // (U+FFFD per maximal invalid subpart)
//           "decode": [[ids...], ...],
//           "tokens": ["<|im_end|>", ...]}
// RESPONSE: {"vocab_size": len(tokenizer) with added tokens,
//            "encodings": [{"no": ids, "yes": ids}, ...],          // addSpecialTokens false/true
//            "decoded": [{"skip": text, "keep": text}, ...],       // skipSpecialTokens true/false
//            "token_ids": [id or null, ...]}
"use strict";
const fs = require("fs");
const path = require("path");

const nodeModules = path.join(__dirname, "node_modules");
let Tokenizer;
try {
  ({ Tokenizer } = require(path.join(nodeModules, "tokenizers")));
} catch (e) {
  console.error(`hf_tokenizers_reference: cannot load the 'tokenizers' package from ${nodeModules}` +
                ` (run tests/reference/install_node_references.sh): ${e.message}`);
  process.exit(2);
}

async function main() {
  const [requestPath, responsePath] = process.argv.slice(2);
  const request = JSON.parse(fs.readFileSync(requestPath, "utf8"));
  const tokenizer = Tokenizer.fromFile(request.tokenizer);
  const decoder = new TextDecoder("utf-8", { fatal: false });
  const response = { vocab_size: tokenizer.getVocabSize(true), encodings: [], decoded: [],
                     token_ids: [] };
  for (const b64 of request.texts_base64 || []) {
    const text = decoder.decode(Buffer.from(b64, "base64"));
    const no = await tokenizer.encode(text, null, { addSpecialTokens: false });
    const yes = await tokenizer.encode(text, null, { addSpecialTokens: true });
    response.encodings.push({ no: no.getIds(), yes: yes.getIds() });
  }
  for (const ids of request.decode || []) {
    response.decoded.push({ skip: await tokenizer.decode(ids, true),
                            keep: await tokenizer.decode(ids, false) });
  }
  for (const token of request.tokens || []) {
    const id = tokenizer.tokenToId(token);
    response.token_ids.push(id === undefined ? null : id);
  }
  fs.writeFileSync(responsePath, JSON.stringify(response));
}

main().catch((e) => {
  console.error(`hf_tokenizers_reference: ${e.stack || e}`);
  process.exit(1);
});
