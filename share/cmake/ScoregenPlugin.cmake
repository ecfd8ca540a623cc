# scoregen_add_plugin(NAME SOURCES src...): builds a scoregen plugin library the host can load.
# A MODULE library with hidden visibility exporting only the C entry points (abi and plugin list),
# linked against the same libscoregen and LibTorch as the host. Without a CMAKE_BUILD_TYPE (single-configuration
# generators) it is built with the Release flags: an unoptimised plugin runs a network many times slower.
# C++17, or C++20 with a LibTorch whose headers need it (the standard scoregen itself was built with).
if(NOT SCOREGEN_CXX_STANDARD)
  set(SCOREGEN_CXX_STANDARD 17)
endif()
function(scoregen_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "scoregen_add_plugin(${name}): no SOURCES")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES} ${SCOREGEN_PLUGIN_ENTRY})
  if(TARGET scoregen::scoregen)
    target_link_libraries(${name} PRIVATE scoregen::scoregen)
  else()
    target_link_libraries(${name} PRIVATE scoregen)
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_STANDARD ${SCOREGEN_CXX_STANDARD}
    CXX_STANDARD_REQUIRED ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON)
  if(SCOREGEN_TORCH_CUDA)
    target_compile_definitions(${name} PRIVATE SCOREGEN_TORCH_CUDA=1)  # checked by the host's loader
  endif()
  if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
    separate_arguments(release_flags UNIX_COMMAND "${CMAKE_CXX_FLAGS_RELEASE}")
    target_compile_options(${name} PRIVATE ${release_flags})
    message(STATUS "scoregen_add_plugin(${name}): no CMAKE_BUILD_TYPE, so built with the Release flags (${CMAKE_CXX_FLAGS_RELEASE})")
  endif()
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  endif()
  if(COMMAND scoregen_use_pch)
    scoregen_use_pch(${name})  # inside scoregen's own build
  endif()
endfunction()
