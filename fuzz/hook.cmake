# Used by scripts/fuzz.sh only while the top-level CMakeLists.txt has no
# `if(TRADER_FUZZ) add_subdirectory(fuzz) endif()` yet: passed as
# CMAKE_PROJECT_INCLUDE, it includes fuzz/CMakeLists.txt once the top level
# is done (a deferred call may not add_subdirectory, but it may include).
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL include ${CMAKE_SOURCE_DIR}/fuzz/CMakeLists.txt)
