# Warnings as errors on Cairn's own code (not on generated protobuf sources).
function(cairn_strict target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow=local
                                           -Wnon-virtual-dtor)
endfunction()
