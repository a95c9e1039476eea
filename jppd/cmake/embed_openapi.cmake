# cmake -DINPUT=openapi.json -DOUTPUT=openapi_document.cpp -P embed_openapi.cmake
# Writes a C++ source holding INPUT's bytes, unchanged, as jppd::api::openapi_document().
if(NOT INPUT OR NOT OUTPUT)
  message(FATAL_ERROR "embed_openapi.cmake: pass -DINPUT=<file> -DOUTPUT=<source>")
endif()
file(READ "${INPUT}" _hex HEX)
string(LENGTH "${_hex}" _digits)
if(_digits EQUAL 0)
  message(FATAL_ERROR "embed_openapi.cmake: ${INPUT} is empty")
endif()
# Two hex digits a byte; 24 bytes a line.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _bytes "${_hex}")
set(_line "")
foreach(_i RANGE 1 24)
  string(APPEND _line "0x[0-9a-f][0-9a-f],")
endforeach()
string(REGEX REPLACE "(${_line})" "\\1\n    " _bytes "${_bytes}")
file(WRITE "${OUTPUT}"
  "// Generated from ${INPUT} by embed_openapi.cmake at build time: edit that file, not this one.\n"
  "#include \"api/openapi.hpp\"\n\n"
  "namespace jppd::api {\n\n"
  "namespace {\n\n"
  "constexpr unsigned char document[] = {\n    ${_bytes}\n};\n\n"
  "}  // namespace\n\n"
  "std::string_view openapi_document() noexcept {\n"
  "    return {reinterpret_cast<const char*>(document), sizeof document};\n"
  "}\n\n"
  "}  // namespace jppd::api\n")
