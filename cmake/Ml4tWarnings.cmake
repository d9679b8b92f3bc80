# Compile options every ml4t target shares: warnings, optional -Werror and sanitizers.
add_library(ml4t_options INTERFACE)
target_compile_options(ml4t_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
if(ML4T_WERROR)
  target_compile_options(ml4t_options INTERFACE -Werror)
endif()
if(ML4T_SANITIZE)
  target_compile_options(ml4t_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(ml4t_options INTERFACE -fsanitize=address,undefined)
endif()

# ml4t_component(<name> SOURCES ... DEPS ...): one static library per component,
# exposed as ml4t::<name>, with the public headers in include/.
function(ml4t_component name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  if(NOT ARG_SOURCES)  # a component with headers only (so far)
    add_library(ml4t_${name} INTERFACE)
    add_library(ml4t::${name} ALIAS ml4t_${name})
    target_include_directories(ml4t_${name} INTERFACE $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)
    target_link_libraries(ml4t_${name} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(ml4t_${name} STATIC ${ARG_SOURCES})
  add_library(ml4t::${name} ALIAS ml4t_${name})
  target_include_directories(ml4t_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:include>)
  target_include_directories(ml4t_${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(ml4t_${name} PUBLIC ${ARG_DEPS} PRIVATE ml4t_options ${ARG_PRIVATE_DEPS})
endfunction()
