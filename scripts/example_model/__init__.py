"""Pieces of scripts/train_example_model.py, which trains Strata's example
model (examples/models/opt-fortunes-tiny).  One concept per module:

  corpus          Debian's fortune files: listing, cleaning, loading
  bpe             byte-level BPE in GPT-2 file format: trainer and Tokenizer;
                  the special token ids
  opt_torch       the OPT decoder in plain torch (transformers' modeling_opt)
  safetensors_io  F16 safetensors written and read by hand
  training        batches, loss, evaluation, greedy decoding, lr schedule
  model_card      JSON files, the model card, Debian package versions

The package is imported as `example_model`, found because the entry script's
folder (scripts/) is first on sys.path; bpe imports scripts/make_tiny_opt.py
the same way.  Nothing here reads arguments or writes files on import.
"""
