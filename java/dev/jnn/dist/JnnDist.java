package dev.jnn.dist;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP binding of native/include/jnn/dist.h (jnn's Gloo glue, library jnn_dist), one
 * declaration per C function, nothing else. The JavaCPP Maven plugin generates the JNI glue from
 * this class (process-classes phase).
 *
 * <p>Buffers are native addresses ({@code float*} as a long): the group's scratch buffer, never
 * a Java array, because a collective blocks on the network and must not run in a JNI critical
 * region (it would stall the garbage collector of this JVM for as long).
 *
 * <p>Loading this class preloads, in dependency order, the libraries libgloo.so.0 needs that a
 * plain Linux lacks (libnl-3, libnl-route-3, libibverbs, libhiredis) and libgloo itself, all
 * copied beside libjnn_dist by the build, then libjnn_dist and its JNI glue. A failure surfaces as
 * a {@link LinkageError} that {@link CollectiveLibs#gloo()} reports with the missing library and
 * its Debian package.
 */
@Platform(value = "linux-x86_64", include = "jnn/dist.h", link = "jnn_dist",
    preload = {"nl-3@.200", "nl-route-3@.200", "ibverbs@.1", "hiredis@.0.14", "gloo@.0"})
public final class JnnDist {
  static {
    Loader.load();
  }

  private JnnDist() {}

  /** Forces class initialization, i.e. library loading. */
  public static void load() {}

  /** jnn_gloo_allreduce_f32's reductions (ProcessGroup.ReduceOp order). */
  public static final int JNN_DIST_SUM = 0, JNN_DIST_AVG = 1;

  public static native String jnn_dist_last_error();
  public static native int jnn_dist_has_gloo();
  public static native String jnn_gloo_version();

  public static native long jnn_gloo_create(int rank, int size, String store_host, int store_port, String prefix,
      String hostname, String iface, long timeout_ms);
  public static native int jnn_gloo_allreduce_f32(long group, @Cast("float*") long buf, long n, int op);
  public static native int jnn_gloo_broadcast_f32(long group, @Cast("float*") long buf, long n, int root);
  public static native int jnn_gloo_allgather_f32(long group, @Cast("const float*") long in, @Cast("float*") long out, long n);
  public static native int jnn_gloo_barrier(long group);
  public static native int jnn_gloo_set_timeout(long group, long timeout_ms);
  public static native int jnn_gloo_destroy(long group);
}
