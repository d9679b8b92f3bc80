# Install rules, the CMake package and the pkg-config file, so a user's project can do
#   find_package(ml4t_backtest REQUIRED)
#   target_link_libraries(app PRIVATE ml4t::backtest)   # ml4t::sweep for parameter sweeps
# or `pkg-config --cflags --libs ml4t-backtest` (see examples/custom_strategy/ and
# docs/getting-started.md). DuckDB: the pinned libduckdb.so from .deps/ is installed into
# the prefix's lib/ and every installed binary finds it there only ($ORIGIN-relative
# rpath), so the prefix works with the checkout moved away; a DuckDB of the user's own
# (DUCKDB_ROOT) is referenced where it is.
#
# Included after the CLI target exists: INSTALL_RPATH is set on each target here, since
# changing CMAKE_INSTALL_RPATH now would not reach targets already created.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_ml4t_targets ml4t_options ml4t_backtest)
foreach(component core data engine results config sweep)
  list(APPEND _ml4t_targets ml4t_${component})
  set_target_properties(ml4t_${component} PROPERTIES EXPORT_NAME ${component})
endforeach()
set_target_properties(ml4t_backtest PROPERTIES EXPORT_NAME backtest)
set_target_properties(ml4t_options PROPERTIES EXPORT_NAME options)

install(TARGETS ${_ml4t_targets} EXPORT ml4t_backtestTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# ml4t_install_rpath(<target> <folder it is installed to, relative to the prefix>)
function(ml4t_install_rpath target dest)
  file(RELATIVE_PATH to_lib "/p/${dest}" "/p/${CMAKE_INSTALL_LIBDIR}")
  string(REGEX REPLACE "/$" "" to_lib "${to_lib}")
  if(to_lib STREQUAL "")
    set(to_lib ".")
  endif()
  set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/${to_lib};${ML4T_EXTERNAL_DUCKDB_RPATH}")
endfunction()

if(TARGET ml4t-backtest)
  ml4t_install_rpath(ml4t-backtest ${CMAKE_INSTALL_BINDIR})
  install(TARGETS ml4t-backtest RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

if(ML4T_DUCKDB_PINNED)
  # Resolved: a symlinked libduckdb.so is installed as the file it points to.
  get_filename_component(_ml4t_duckdb_file "${DUCKDB_LIBRARY}" REALPATH)
  install(FILES ${_ml4t_duckdb_file} DESTINATION ${CMAKE_INSTALL_LIBDIR} RENAME libduckdb.so)
  set(ML4T_INSTALLED_DUCKDB "\${PACKAGE_PREFIX_DIR}/${CMAKE_INSTALL_LIBDIR}/libduckdb.so")
  set(ML4T_PC_DUCKDB_LIBS "-lduckdb -Wl,-rpath,\${libdir}")
else()
  set(ML4T_INSTALLED_DUCKDB "${DUCKDB_LIBRARY}")
  get_filename_component(_ml4t_duckdb_dir "${DUCKDB_LIBRARY}" DIRECTORY)
  set(ML4T_PC_DUCKDB_LIBS "-L${_ml4t_duckdb_dir} -lduckdb -Wl,-rpath,${_ml4t_duckdb_dir}")
endif()

install(EXPORT ml4t_backtestTargets NAMESPACE ml4t:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ml4t_backtest)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ml4t_backtestConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ml4t_backtestConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ml4t_backtest)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ml4t_backtestConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ml4t_backtestConfig.cmake ${PROJECT_BINARY_DIR}/ml4t_backtestConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ml4t_backtest)

# pkg-config: prefix relative to the .pc file, so a moved prefix keeps working.
file(RELATIVE_PATH ML4T_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" ML4T_PC_TO_PREFIX "${ML4T_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/ml4t-backtest.pc.in ${PROJECT_BINARY_DIR}/ml4t-backtest.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ml4t-backtest.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# pip's layout (setup.py, component ml4t_wheel): the CLI in ml4t/backtest/_bin/ and
# libduckdb.so in ml4t/backtest/, next to the extension (python/CMakeLists.txt).
if(ML4T_PYTHON_WHEEL)
  if(TARGET ml4t-backtest)
    set_target_properties(ml4t-backtest PROPERTIES INSTALL_RPATH "$ORIGIN/..;${ML4T_EXTERNAL_DUCKDB_RPATH}")
    install(TARGETS ml4t-backtest RUNTIME DESTINATION ml4t/backtest/_bin COMPONENT ml4t_wheel)
  endif()
  if(ML4T_DUCKDB_PINNED)
    install(FILES ${_ml4t_duckdb_file} DESTINATION ml4t/backtest RENAME libduckdb.so COMPONENT ml4t_wheel)
  endif()
endif()
