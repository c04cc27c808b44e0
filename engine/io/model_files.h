// A model directory's files must be regular files: a FIFO named config.json or
// model.safetensors would block a reader forever, a device would be read without end. Checked
// once, before any of them is opened (read_model_config, the first read of every command).
#pragma once

#include <filesystem>

namespace strata {

// InputError "DIR/NAME: not a regular file (...)" for the first model file (config, weights,
// tokenizer, store data, manifest: *.json, *.safetensors, *.txt, *.model, *.bin, *.yaml) that is
// a FIFO, a device, a socket or a directory, symlinks followed.
void check_model_files_regular(const std::filesystem::path& model_dir);

}  // namespace strata
