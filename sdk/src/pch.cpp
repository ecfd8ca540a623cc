// Compiles the shared precompiled header once (see the top-level CMakeLists.txt).
