# Warnings as errors on Cairn's own code (not on generated protobuf sources).
function(cairn_strict target)
  # -Wshadow=local is GCC's; clang builds (CAIRN_FUZZ) get the rest.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wnon-virtual-dtor
                                           $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>)
  # GCC 12 under -fsanitize=address reports -Wmaybe-uninitialized inside
  # Boost.Beast's parser once it is inlined into our code, where the system
  # header exemption no longer applies; the flow analysis is what ASan's
  # instrumentation confuses, not a real read. Only targets that compile
  # Beast (those linking Boost::headers) lose that one warning, only there.
  if(CAIRN_ASAN AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE
      $<$<IN_LIST:Boost::headers,$<TARGET_PROPERTY:${target},LINK_LIBRARIES>>:-Wno-maybe-uninitialized>)
  endif()
endfunction()
