# strata_target_defaults(target): warnings and include root shared by every Strata target.
function(strata_target_defaults target)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>)
endfunction()

# strata_library(name folder [extra sources...]): a static library from every .cpp under folder,
# excluding cuda/ subfolders (those build into a separate CUDA target).
function(strata_library name folder)
  file(GLOB_RECURSE _sources CONFIGURE_DEPENDS ${folder}/*.cpp)
  list(FILTER _sources EXCLUDE REGEX "/cuda/")
  if(_sources OR ARGN)
    add_library(${name} STATIC ${_sources} ${ARGN})
    strata_target_defaults(${name})
  else()
    # A folder whose first sources have not landed yet: headers only.
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
  endif()
endfunction()

# strata_link(target deps...): public link that also works while a library is headers-only.
function(strata_link target)
  get_target_property(_type ${target} TYPE)
  if(_type STREQUAL "INTERFACE_LIBRARY")
    target_link_libraries(${target} INTERFACE ${ARGN})
  else()
    target_link_libraries(${target} PUBLIC ${ARGN})
  endif()
endfunction()
