# Instrumented builds of this project's own targets (binary, engine, SDK library, plugins, tests); LibTorch, OpenCV
# and the other system libraries stay uninstrumented.
#   SCOREGEN_SANITIZE=ON  AddressSanitizer + UndefinedBehaviorSanitizer (scripts/sanitize.sh builds and tests it)
#   SCOREGEN_FUZZ=ON      the same plus libFuzzer coverage, and the fuzz targets of tests/fuzz (clang only;
#                         scripts/fuzz.sh builds and runs them)
# Any report aborts the process (-fno-sanitize-recover), so a test or fuzz run cannot pass over one.
option(SCOREGEN_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(SCOREGEN_FUZZ "Build the libFuzzer targets of tests/fuzz (clang; implies the sanitizers)" OFF)
if(SCOREGEN_FUZZ AND NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "SCOREGEN_FUZZ=ON needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
endif()
if(SCOREGEN_SANITIZE OR SCOREGEN_FUZZ)
  set(sanitizers address,undefined)
  if(SCOREGEN_FUZZ)
    set(sanitizers fuzzer-no-link,${sanitizers})  # coverage for libFuzzer; its main is linked only into the targets
  endif()
  set(SCOREGEN_SANITIZE_FLAGS -fsanitize=${sanitizers} -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_compile_options(${SCOREGEN_SANITIZE_FLAGS} -g1)  # -g1: file and line in the reports' stacks
  add_link_options(${SCOREGEN_SANITIZE_FLAGS})
endif()
