# Runs Doxygen and fails when it logged any warning (printing them), so an undocumented
# public member breaks the `docs` target and the docs.api test.
#   cmake -DDOXYGEN=... -DDOXYFILE=... -DOUT=... -P run_doxygen.cmake
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
execute_process(COMMAND ${DOXYGEN} ${DOXYFILE} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "doxygen failed (${status}):\n${out}${err}")
endif()
file(READ ${OUT}/doxygen-warnings.log warnings)
if(NOT warnings STREQUAL "")
  string(REGEX MATCHALL "\n" lines "${warnings}")
  list(LENGTH lines count)
  message(FATAL_ERROR "doxygen: ${count} warning(s); document these public members (/// or //!<):\n${warnings}")
endif()
message(STATUS "doxygen: no warnings; ${OUT}/html/index.html")
