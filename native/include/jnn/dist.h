/*
 * dist.h - the C API of jnn's Gloo glue (library jnn_dist, sources in native/dist).
 *
 * JavaCPP binds this header (dev.jnn.dist.JnnDist). It is flat C and includes no Gloo header.
 * A group is an int64 handle (> 0) naming one gloo::rendezvous::Context connected to its peers
 * over Gloo's TCP transport; 0 means failure, and jnn_dist_last_error() says why.
 *
 * Memory: every buffer is a native float* (Java passes the address of the group's scratch
 * buffer, into which it copied the tensor's Java array): a collective blocks on the network for
 * as long as the slowest rank takes, which must not happen inside a JNI critical region.
 *
 * Errors: every function but the queries returns 0 on success and -1 on failure, with the message
 * in jnn_dist_last_error() (thread-local, valid until the next call on the thread). Gloo's
 * exceptions (gloo::IoException, gloo::TimeoutException, gloo::EnforceNotMet) never cross this
 * API. Inputs are validated in Java (dev.jnn.dist.GlooProcessGroup) before any call; a handle
 * that is not (or no longer) a live group is still rejected here with an error, not a crash.
 * A group must not run two collectives at once (Java serializes them).
 */
#ifndef JNN_DIST_H
#define JNN_DIST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Reductions of jnn_gloo_allreduce_f32 (dev.jnn.dist.ProcessGroup.ReduceOp order). */
#define JNN_DIST_SUM 0
#define JNN_DIST_AVG 1

const char* jnn_dist_last_error(void);   /* the last failure's message on this thread, "" if none */
int jnn_dist_has_gloo(void);             /* 1 if built with Gloo, 0 if the fallback (every call fails, the error says why) */
const char* jnn_gloo_version(void);      /* "gloo 0.5.0 (tcp transport)": the headers compiled against; "" in the fallback */

/*
 * Connects rank `rank` of `size` (Gloo's connectFullMesh). The ranks exchange their Gloo
 * addresses through the jnn store at store_host:store_port (dev.jnn.dist.TcpStore's protocol,
 * spoken by native/dist/store_client.cpp) under keys that start with `prefix`. Gloo's TCP device
 * binds to `hostname` (an address of this host that reaches the peers) or, when `iface` is not
 * empty, to that network interface. timeout_ms bounds the connection and every later collective.
 * Returns the handle, or 0.
 */
int64_t jnn_gloo_create(int rank, int size, const char* store_host, int store_port, const char* prefix,
                        const char* hostname, const char* iface, int64_t timeout_ms);

/* buf (n floats) = the elementwise SUM (or AVG: SUM / size) of every rank's buf. */
int jnn_gloo_allreduce_f32(int64_t group, float* buf, int64_t n, int op);
/* buf (n floats) = rank root's buf, on every rank. */
int jnn_gloo_broadcast_f32(int64_t group, float* buf, int64_t n, int root);
/* out (size * n floats) receives rank r's in (n floats) at out + r * n, on every rank. in may be out + rank * n. */
int jnn_gloo_allgather_f32(int64_t group, const float* in, float* out, int64_t n);
/* Returns when every rank has called it. */
int jnn_gloo_barrier(int64_t group);
/* Sets the timeout of the later collectives. */
int jnn_gloo_set_timeout(int64_t group, int64_t timeout_ms);
/* Closes the group's connections and frees it; the handle is dead after. Unknown handles: -1. */
int jnn_gloo_destroy(int64_t group);

#ifdef __cplusplus
}
#endif

#endif /* JNN_DIST_H */
