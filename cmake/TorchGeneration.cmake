# The LibTorch scoregen builds against: Debian's 1.13 (the default) or a 2.x (PyPI's torch through
# -DCMAKE_PREFIX_PATH=$(python -c 'import torch; print(torch.utils.cmake_prefix_path)'), or pytorch.org's libtorch).
# Checked here with one message each, before anything is compiled (docs/building.md):
#   - a LibTorch older than 1.13, or built with the pre-C++11 ABI (-D_GLIBCXX_USE_CXX11_ABI=0), is refused;
#   - SCOREGEN_CXX_STANDARD is 20 when the LibTorch's headers require C++20, else 17 (installed with the SDK, so
#     out-of-tree plugins follow);
#   - scoregen_fmt is the fmt to use: a LibTorch that carries fmt headers of its own (2.x) puts them ahead of the
#     system's on every compile line, so that fmt is used header-only; otherwise the system's libfmt is linked;
#   - SCOREGEN_TORCH_RPATH: the folder of a LibTorch outside the system's library folders (PyPI's torch, a libtorch zip),
#     searched by the binary, libscoregen and the plugins after their own $ORIGIN folders; a kit built for another
#     machine sets it to that machine's folder (scripts/gpu-kit.sh);
#   - SCOREGEN_TORCH_CUDA is 1 for a CUDA LibTorch (whose torch_cuda target defines USE_C10D_NCCL: the NCCL path).
find_package(Torch REQUIRED)
set(SCOREGEN_TORCH_VERSION "${Torch_VERSION}")
if(NOT SCOREGEN_TORCH_VERSION)
  message(FATAL_ERROR "scoregen: the LibTorch at ${TORCH_INSTALL_PREFIX} does not state its version "
                      "(TorchConfigVersion.cmake); scoregen needs LibTorch 1.13 or later")
endif()
if(SCOREGEN_TORCH_VERSION VERSION_LESS 1.13)
  message(FATAL_ERROR "scoregen: LibTorch ${SCOREGEN_TORCH_VERSION} at ${TORCH_INSTALL_PREFIX} is older than 1.13, "
                      "the oldest scoregen builds against (Debian's libtorch-dev, or PyPI's torch 2.x)")
endif()
if(TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=0")
  message(FATAL_ERROR "scoregen: LibTorch ${SCOREGEN_TORCH_VERSION} at ${TORCH_INSTALL_PREFIX} is built with the "
                      "pre-C++11 ABI (-D_GLIBCXX_USE_CXX11_ABI=0), which Debian's OpenCV, fmt and Boost cannot link "
                      "with; use the cxx11-abi libtorch zip, or PyPI's torch 2.7 or later")
endif()

# C++20 when the LibTorch's own target or its headers ask for it (c10 refuses an older standard with #error).
set(SCOREGEN_CXX_STANDARD 17)
get_target_property(torch_cxx_standard torch CXX_STANDARD)
if(torch_cxx_standard AND torch_cxx_standard GREATER_EQUAL 20)
  set(SCOREGEN_CXX_STANDARD 20)
endif()
foreach(dir ${TORCH_INCLUDE_DIRS})
  foreach(header c10/util/C++17.h c10/macros/Macros.h)
    if(EXISTS "${dir}/${header}")
      file(STRINGS "${dir}/${header}" cxx20_guard REGEX "__cplusplus < 202002L")
      if(cxx20_guard)
        set(SCOREGEN_CXX_STANDARD 20)
      endif()
    endif()
  endforeach()
endforeach()
set(CMAKE_CXX_STANDARD ${SCOREGEN_CXX_STANDARD})

# PyPI's LibTorch 2.x (and pytorch.org's zips) export copies of libstdc++ functions they linked statically, among them
# std::filesystem's (libtorch.so: 64); a program that needs libtorch.so before libstdc++.so binds to those copies,
# and std::filesystem::remove_all crashed in one. Naming libstdc++ first makes it the first library searched, for the
# binary, the tests and every plugin they load.
if(SCOREGEN_TORCH_VERSION VERSION_GREATER_EQUAL 2.0)
  add_link_options(LINKER:--push-state,--no-as-needed,-lstdc++,--pop-state)
endif()

# fmt: the first fmt/format.h on LibTorch's include path is the one every source sees.
set(torch_fmt_dir "")
foreach(dir ${TORCH_INCLUDE_DIRS})
  if(NOT torch_fmt_dir AND EXISTS "${dir}/fmt/format.h")
    set(torch_fmt_dir "${dir}")
  endif()
endforeach()
find_package(fmt QUIET)
set(system_fmt_dir "")
if(fmt_FOUND)
  get_target_property(system_fmt_dir fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
endif()
add_library(scoregen_fmt INTERFACE)
if(torch_fmt_dir AND NOT torch_fmt_dir STREQUAL system_fmt_dir)
  target_compile_definitions(scoregen_fmt INTERFACE FMT_HEADER_ONLY=1)
  target_include_directories(scoregen_fmt SYSTEM INTERFACE "${torch_fmt_dir}")
  set(SCOREGEN_FMT "LibTorch's own fmt headers (${torch_fmt_dir}), header-only")
elseif(fmt_FOUND)
  target_link_libraries(scoregen_fmt INTERFACE fmt::fmt)
  set(SCOREGEN_FMT "fmt ${fmt_VERSION} (${system_fmt_dir})")
else()
  message(FATAL_ERROR "scoregen: fmt not found (install libfmt-dev)")
endif()

# The LibTorch's own library folder, not TORCH_LIBRARY's: TorchConfig's find_library looks in the system's folders
# before the package's, so with Debian's libtorch-dev installed it names Debian's libtorch.so for a PyPI torch too.
get_filename_component(torch_lib_dir "${TORCH_INSTALL_PREFIX}/lib" REALPATH)
set(torch_rpath_default "${torch_lib_dir}")
foreach(dir ${CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES} /usr/lib /lib)
  get_filename_component(dir "${dir}" REALPATH)
  if(dir STREQUAL torch_lib_dir)
    set(torch_rpath_default "")
  endif()
endforeach()
set(SCOREGEN_TORCH_RPATH "${torch_rpath_default}" CACHE STRING
    "Folders (;-separated) where the built binary and plugins look for LibTorch at run time, after $ORIGIN")
# The Python of this LibTorch (its torchrun launches the distributed tests): Debian's for Debian's LibTorch.
set(SCOREGEN_TEST_PYTHON "/usr/bin/python3" CACHE FILEPATH "Python with the torch of this LibTorch (tests: torchrun, TorchScript)")
# Sets a target's run-time search path: its own folders relative to itself ($ORIGIN...), then LibTorch's.
function(scoregen_runpath target origin_relative)
  set_target_properties(${target} PROPERTIES INSTALL_RPATH "${origin_relative};${SCOREGEN_TORCH_RPATH}"
                                             BUILD_WITH_INSTALL_RPATH ON)
endfunction()

if(TORCH_CUDA_LIBRARIES OR CUDA_FOUND)
  set(SCOREGEN_TORCH_CUDA 1)
else()
  set(SCOREGEN_TORCH_CUDA 0)
endif()
message(STATUS "scoregen: LibTorch ${SCOREGEN_TORCH_VERSION} (${TORCH_INSTALL_PREFIX}), C++${SCOREGEN_CXX_STANDARD}, "
               "CUDA ${SCOREGEN_TORCH_CUDA}; ${SCOREGEN_FMT}")
