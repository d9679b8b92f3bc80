# Install rules and the CMake package, so a user's project can do
#   find_package(ml4t_backtest REQUIRED)
#   target_link_libraries(app PRIVATE ml4t::backtest)
# (see examples/custom_strategy/). DuckDB: the pinned libduckdb.so from .deps/ is
# installed beside our libraries; a user-supplied DuckDB is referenced where it is.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_ml4t_targets ml4t_options ml4t_backtest)
foreach(component core data engine results config)
  list(APPEND _ml4t_targets ml4t_${component})
  set_target_properties(ml4t_${component} PROPERTIES EXPORT_NAME ${component})
endforeach()
set_target_properties(ml4t_backtest PROPERTIES EXPORT_NAME backtest)
set_target_properties(ml4t_options PROPERTIES EXPORT_NAME options)

install(TARGETS ${_ml4t_targets} EXPORT ml4t_backtestTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET ml4t-backtest)
  install(TARGETS ml4t-backtest RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

string(FIND "${DUCKDB_LIBRARY}" "${PROJECT_SOURCE_DIR}/.deps/" _ml4t_pinned_duckdb)
if(_ml4t_pinned_duckdb EQUAL 0)
  install(FILES ${DUCKDB_LIBRARY} DESTINATION ${CMAKE_INSTALL_LIBDIR})
  set(ML4T_INSTALLED_DUCKDB "\${PACKAGE_PREFIX_DIR}/${CMAKE_INSTALL_LIBDIR}/libduckdb.so")
else()
  set(ML4T_INSTALLED_DUCKDB "${DUCKDB_LIBRARY}")
endif()
# Installed binaries find our libduckdb.so next door, then the one used at build time.
list(PREPEND CMAKE_INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")

install(EXPORT ml4t_backtestTargets NAMESPACE ml4t:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ml4t_backtest)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ml4t_backtestConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ml4t_backtestConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ml4t_backtest)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ml4t_backtestConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ml4t_backtestConfig.cmake ${PROJECT_BINARY_DIR}/ml4t_backtestConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ml4t_backtest)
