# Finds the DuckDB C API: a DuckDB the user already has (-DDUCKDB_ROOT=... or the
# environment variable DUCKDB_ROOT, then the system), else the pinned copy that
# scripts/setup fetched into .deps/. Defines the imported target DuckDB::duckdb.
set(DUCKDB_ROOT "$ENV{DUCKDB_ROOT}" CACHE PATH "Prefix of an existing DuckDB (include/duckdb.h, lib/libduckdb.so)")
set(_ml4t_pinned "${PROJECT_SOURCE_DIR}/.deps/duckdb-1.4.4")

find_path(DUCKDB_INCLUDE_DIR duckdb.h
  HINTS ${DUCKDB_ROOT} PATH_SUFFIXES include
  PATHS ${_ml4t_pinned}/include)
find_library(DUCKDB_LIBRARY NAMES duckdb
  HINTS ${DUCKDB_ROOT} PATH_SUFFIXES lib lib64
  PATHS ${_ml4t_pinned}/lib)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(DuckDB
  REQUIRED_VARS DUCKDB_LIBRARY DUCKDB_INCLUDE_DIR
  REASON_FAILURE_MESSAGE "run scripts/setup (fetches DuckDB 1.4.4 into .deps/) or pass -DDUCKDB_ROOT=/prefix/of/duckdb")

if(DuckDB_FOUND AND NOT TARGET DuckDB::duckdb)
  add_library(DuckDB::duckdb SHARED IMPORTED)
  set_target_properties(DuckDB::duckdb PROPERTIES
    IMPORTED_LOCATION "${DUCKDB_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${DUCKDB_INCLUDE_DIR}")
  get_filename_component(DUCKDB_LIBRARY_DIR "${DUCKDB_LIBRARY}" DIRECTORY)
  # Built binaries find libduckdb.so without LD_LIBRARY_PATH.
  list(APPEND CMAKE_BUILD_RPATH "${DUCKDB_LIBRARY_DIR}")
  # Installed ones: the pinned copy is installed beside our libraries (cmake/Ml4tInstall.cmake)
  # and found there only; a DuckDB of the user's own stays where it is and is found there.
  string(FIND "${DUCKDB_LIBRARY}" "${PROJECT_SOURCE_DIR}/.deps/" _ml4t_duckdb_in_deps)
  if(_ml4t_duckdb_in_deps EQUAL 0)
    set(ML4T_DUCKDB_PINNED ON)
    set(ML4T_EXTERNAL_DUCKDB_RPATH "")
  else()
    set(ML4T_DUCKDB_PINNED OFF)
    set(ML4T_EXTERNAL_DUCKDB_RPATH "${DUCKDB_LIBRARY_DIR}")
  endif()
endif()
