# Every third-party dependency, each from a Debian package (scripts/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)
pkg_check_modules(URING REQUIRED IMPORTED_TARGET liburing)     # SSD tier: io_uring
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)   # GPT-2 pre-tokenizer regex (\p{L}, \p{N})
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)   # store checksums
find_package(dnnl REQUIRED)                                    # CPU backend GEMM (oneDNN matmul)
find_package(OpenMP REQUIRED)                                  # CPU compute threads (oneDNN's runtime)
find_package(yaml-cpp REQUIRED)                                # policy / config / manifest YAML
find_package(nlohmann_json 3 REQUIRED)                         # config.json, safetensors headers, JSONL
find_package(CLI11 REQUIRED)                                   # command-line parsing
find_package(Threads REQUIRED)

find_path(GLPK_INCLUDE_DIR glpk.h REQUIRED)                    # planner LP
find_library(GLPK_LIBRARY glpk REQUIRED)
add_library(strata_glpk INTERFACE)
target_include_directories(strata_glpk INTERFACE ${GLPK_INCLUDE_DIR})
target_link_libraries(strata_glpk INTERFACE ${GLPK_LIBRARY})

# Debian's yaml-cpp 0.7 config exports the plain target name "yaml-cpp".
if(TARGET yaml-cpp AND NOT TARGET yaml-cpp::yaml-cpp)
  add_library(yaml-cpp::yaml-cpp ALIAS yaml-cpp)
endif()
