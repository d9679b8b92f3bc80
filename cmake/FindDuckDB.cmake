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
  # Binaries find libduckdb.so without LD_LIBRARY_PATH.
  list(APPEND CMAKE_BUILD_RPATH "${DUCKDB_LIBRARY_DIR}")
  list(APPEND CMAKE_INSTALL_RPATH "${DUCKDB_LIBRARY_DIR}")
endif()
