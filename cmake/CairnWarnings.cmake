# Warnings as errors on Cairn's own code (not on generated protobuf sources).
function(cairn_strict target)
  # -Wshadow=local is GCC's; clang builds (CAIRN_FUZZ) get the rest.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wnon-virtual-dtor
                                           $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>)
endfunction()
