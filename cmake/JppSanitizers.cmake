# JPP_SANITIZE=address,undefined (or thread) instruments everything built after this point.
if(JPP_SANITIZE)
  string(REPLACE "," ";" _jpp_sanitizers "${JPP_SANITIZE}")
  foreach(_s IN LISTS _jpp_sanitizers)
    if(NOT _s MATCHES "^(address|undefined|thread|leak)$")
      message(FATAL_ERROR "JPP_SANITIZE: unknown sanitizer '${_s}'")
    endif()
  endforeach()
  set(_jpp_flags "-fsanitize=${JPP_SANITIZE}" -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_compile_options(${_jpp_flags})
  add_link_options(${_jpp_flags})
  if("thread" IN_LIST _jpp_sanitizers)
    # ThreadSanitizer does not model stand-alone fences. Asio's only ones guard handler hand-offs that its
    # scheduler's mutex already orders, so the TSan build goes without them rather than with unchecked code.
    add_compile_definitions(ASIO_DISABLE_FENCED_BLOCK)
  endif()
endif()
