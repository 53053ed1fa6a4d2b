// jnn_dist without Gloo: built when CMake finds no Gloo (Debian: apt-get install libgloo-dev), so
// the build never fails for lack of it. Every call fails with the reason; dev.jnn.dist.CollectiveLibs
// reports it in `jnn info` and in the exception of ProcessGroups.init.
#include "jnn/dist.h"

#ifndef JNN_DIST_FALLBACK_REASON
#define JNN_DIST_FALLBACK_REASON "Gloo was not found at build time"
#endif

namespace {
const char* const kReason = "jnn_dist was built without Gloo: " JNN_DIST_FALLBACK_REASON
                            " (install libgloo-dev and rebuild)";
}

extern "C" {
const char* jnn_dist_last_error(void) { return kReason; }
int jnn_dist_has_gloo(void) { return 0; }
const char* jnn_gloo_version(void) { return ""; }
int64_t jnn_gloo_create(int, int, const char*, int, const char*, const char*, const char*, int64_t) { return 0; }
int jnn_gloo_allreduce_f32(int64_t, float*, int64_t, int) { return -1; }
int jnn_gloo_broadcast_f32(int64_t, float*, int64_t, int) { return -1; }
int jnn_gloo_allgather_f32(int64_t, const float*, float*, int64_t) { return -1; }
int jnn_gloo_barrier(int64_t) { return -1; }
int jnn_gloo_set_timeout(int64_t, int64_t) { return -1; }
int jnn_gloo_destroy(int64_t) { return -1; }
}
