// strata tokenize: the token ids a prompt becomes (bos first), as a JSON array.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/commands/command.h"
#include "common/error.h"
#include "runtime/model_source.h"

namespace strata::cli {

Command add_tokenize_command(CLI::App& parent) {
  auto model_dir = std::make_shared<std::filesystem::path>();
  auto text = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand(
      "tokenize", "Print the token ids of a prompt (bos first) as a JSON array");
  app->add_option("--model", *model_dir, "Hugging Face model directory")->required();
  app->add_option("--text", *text, "The text to tokenize")->required();
  app->add_flag("--quiet,-q")
      ->description("Accepted as on every command (tokenize prints only the ids)");
  return {app, [model_dir, text] {
            STRATA_CHECK_INPUT(std::filesystem::is_directory(*model_dir), model_dir->string(),
                               ": not a directory (expected a Hugging Face model directory)");
            const ModelConfig config = read_model_config(*model_dir);
            const std::shared_ptr<const Tokenizer> tokenizer = load_tokenizer(*model_dir);
            std::cout << nlohmann::json(prompt_ids(config, *tokenizer, *text)).dump() << std::endl;
            return int(kExitOk);
          }};
}

}  // namespace strata::cli
