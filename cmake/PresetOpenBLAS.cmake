# Finds OpenBLAS inside the unpacked org.bytedeco:openblas preset jar (JNN_OPENBLAS_DIR holds
# include/ and libopenblas.so.0). The preset's own OpenBLASConfig.cmake names a lib/libopenblas.so
# that the jar does not ship, so we import the soname'd library directly. At run time
# Loader.load(openblas_nolapack) has already loaded libopenblas.so.0, and the dynamic linker
# resolves jnn_cpu's dependency by that soname.
if(NOT JNN_OPENBLAS_DIR OR NOT EXISTS "${JNN_OPENBLAS_DIR}/include/cblas.h")
  message(FATAL_ERROR "JNN_OPENBLAS_DIR must point at the unpacked OpenBLAS preset (with include/cblas.h); got '${JNN_OPENBLAS_DIR}'")
endif()
if(NOT EXISTS "${JNN_OPENBLAS_DIR}/libopenblas.so.0")
  message(FATAL_ERROR "libopenblas.so.0 not found in ${JNN_OPENBLAS_DIR}")
endif()
add_library(jnn_openblas SHARED IMPORTED)
set_target_properties(jnn_openblas PROPERTIES
  IMPORTED_LOCATION "${JNN_OPENBLAS_DIR}/libopenblas.so.0"
  IMPORTED_SONAME "libopenblas.so.0"
  INTERFACE_INCLUDE_DIRECTORIES "${JNN_OPENBLAS_DIR}/include")
