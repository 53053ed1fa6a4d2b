# Finds oneDNN inside the unpacked org.bytedeco:dnnl preset jar (JNN_DNNL_DIR holds
# include/oneapi/dnnl/dnnl.hpp and libdnnl.so.3). As with OpenBLAS (PresetOpenBLAS.cmake), the
# soname'd library is imported directly: the preset's dnnl-config.cmake names a lib/libdnnl.so that
# the jar does not ship. At run time JnnCpu has already loaded libdnnl.so.3 (after jnn's own
# libgomp.so.1, which oneDNN's OpenMP build needs), and the dynamic linker resolves jnn_cpu's
# dependency by that soname.
if(NOT JNN_DNNL_DIR OR NOT EXISTS "${JNN_DNNL_DIR}/include/oneapi/dnnl/dnnl.hpp")
  message(FATAL_ERROR "JNN_DNNL_DIR must point at the unpacked dnnl preset (with include/oneapi/dnnl/dnnl.hpp); got '${JNN_DNNL_DIR}'")
endif()
if(NOT EXISTS "${JNN_DNNL_DIR}/libdnnl.so.3")
  message(FATAL_ERROR "libdnnl.so.3 not found in ${JNN_DNNL_DIR}")
endif()
add_library(jnn_dnnl SHARED IMPORTED)
set_target_properties(jnn_dnnl PROPERTIES
  IMPORTED_LOCATION "${JNN_DNNL_DIR}/libdnnl.so.3"
  IMPORTED_SONAME "libdnnl.so.3"
  INTERFACE_INCLUDE_DIRECTORIES "${JNN_DNNL_DIR}/include")
