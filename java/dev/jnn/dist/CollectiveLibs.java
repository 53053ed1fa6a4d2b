package dev.jnn.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.Loader;

/**
 * Whether the collective libraries load here, found once each and never throwing: Gloo (through
 * libjnn_dist, {@link JnnDist}) for host tensors, NCCL (through the org.bytedeco:cuda preset's
 * {@code org.bytedeco.cuda.global.nccl}) for CUDA tensors. When one does not load, the status
 * names the missing library and where to get it; {@code jnn info} prints {@link #lines()}.
 *
 * <pre>{@code
 * CollectiveLibs.Status g = CollectiveLibs.gloo();
 * if (!g.loaded()) System.out.println(g.detail());   // "libgloo.so.0 not found: ... (Debian package libgloo0)"
 * }</pre>
 */
public final class CollectiveLibs {
  private CollectiveLibs() {}

  /**
   * One library's status.
   *
   * @param name "gloo" or "nccl"
   * @param loaded whether its collectives can be called
   * @param detail when loaded: version and where from; else why not and what to install
   */
  public record Status(String name, boolean loaded, String detail) {}

  /** The Debian package of each library libjnn_dist needs (they are bundled in the jar; a missing one means a broken or foreign build). */
  static final Map<String, String> DEBIAN_PACKAGES = Map.of(
      "libgloo.so.0", "libgloo0 (build: libgloo-dev)",
      "libhiredis.so.0.14", "libhiredis0.14",
      "libibverbs.so.1", "libibverbs1",
      "libnl-route-3.so.200", "libnl-route-3-200",
      "libnl-3.so.200", "libnl-3-200",
      "libjnn_dist.so", "none: rebuild jnn (mvn package) on a machine with libgloo-dev");

  /** NCCL does not come with the cuda preset's jar (its redist jar, org.bytedeco:cuda:...:linux-x86_64-redist, is gigabytes). */
  static final String NCCL_HINT = "install NCCL 2 for CUDA 13 (NVIDIA's libnccl2 package, or pip nvidia-nccl-cu13 and add its "
      + "site-packages/nvidia/nccl/lib to LD_LIBRARY_PATH); the org.bytedeco:cuda preset carries only NCCL's JNI glue";

  private static final Pattern CANNOT_OPEN = Pattern.compile("([^\\s:/]+\\.so(?:\\.[0-9]+)*): cannot open shared object file");

  private static volatile Status gloo, nccl;

  /** Gloo: loads libjnn_dist once. */
  public static Status gloo() {
    Status s = gloo;
    if (s == null) {
      synchronized (CollectiveLibs.class) {
        if (gloo == null) gloo = probeGloo();
        s = gloo;
      }
    }
    return s;
  }

  /** NCCL: loads the preset's NCCL binding once. */
  public static Status nccl() {
    Status s = nccl;
    if (s == null) {
      synchronized (CollectiveLibs.class) {
        if (nccl == null) nccl = probeNccl();
        s = nccl;
      }
    }
    return s;
  }

  /** The {@code jnn info} section. */
  public static List<String> lines() {
    List<String> out = new ArrayList<>();
    out.add("collectives (dev.jnn.dist; timeouts: rendezvous " + TcpStore.seconds(ProcessGroups.DEFAULT_RENDEZVOUS_TIMEOUT)
        + ", collective " + TcpStore.seconds(ProcessGroups.DEFAULT_COLLECTIVE_TIMEOUT) + ", env " + ProcessGroups.TIMEOUT_ENV + "):");
    for (Status s : List.of(gloo(), nccl()))
      out.add("  " + (s.loaded() ? "[ok]   " : "[fail] ") + s.name() + ": " + (s.loaded() ? "loaded: " : "not loaded: ") + s.detail());
    return out;
  }

  private static Status probeGloo() {
    try {
      JnnDist.load();
      if (JnnDist.jnn_dist_has_gloo() == 0) return new Status("gloo", false, JnnDist.jnn_dist_last_error());
      String from = mappedPath("libgloo.so.0").map(p -> " from " + p).orElse("");
      return new Status("gloo", true, JnnDist.jnn_gloo_version() + from);
    } catch (LinkageError | RuntimeException e) {
      Optional<String> missing = unopened(e);
      if (missing.isPresent()) {
        String lib = missing.get();
        return new Status("gloo", false, lib + " could not be loaded (" + innermost(e) + "); Debian package: "
            + DEBIAN_PACKAGES.getOrDefault(lib, "unknown") + ". jnn's jar carries it beside libjnn_dist: a jar built without "
            + "libgloo-dev lacks it");
      }
      return new Status("gloo", false, "libjnn_dist did not load: " + innermost(e) + " (built on a machine with libgloo-dev? "
          + "run with -Dorg.bytedeco.javacpp.logger.debug=true to see JavaCPP's search)");
    }
  }

  private static Status probeNccl() {
    boolean found = findLibrary("libnccl.so.2").isPresent();
    String notFound = "libnccl.so.2 not found (searched: java.library.path, LD_LIBRARY_PATH, ldconfig); " + NCCL_HINT;
    dev.jnn.backend.cuda.CudaRuntime.Probe p = dev.jnn.backend.cuda.CudaRuntime.probe();
    if (!p.available()) {
      String first = p.details().stream().filter(d -> d.startsWith("problem: ")).map(d -> d.substring(9)).findFirst().orElse(p.reason());
      return new Status("nccl", false, "needs a usable CUDA device: " + first + (found ? "" : "; also " + notFound));
    }
    if (!found) return new Status("nccl", false, notFound);
    try {
      Loader.load(org.bytedeco.cuda.global.nccl.class);
      int[] v = new int[1];
      int s = org.bytedeco.cuda.global.nccl.ncclGetVersion(v);
      if (s != org.bytedeco.cuda.global.nccl.ncclSuccess)
        return new Status("nccl", false, "ncclGetVersion failed: " + org.bytedeco.cuda.global.nccl.ncclGetErrorString(s).getString());
      String from = mappedPath("libnccl.so.2").map(f -> " from " + f).orElse("");
      return new Status("nccl", true, "NCCL " + ncclVersion(v[0]) + from);
    } catch (LinkageError | RuntimeException e) {
      Optional<String> missing = unopened(e);
      if (missing.filter("libnccl.so.2"::equals).isPresent())
        return new Status("nccl", false, "libnccl.so.2 not found (searched: java.library.path, LD_LIBRARY_PATH, ldconfig); " + NCCL_HINT);
      if (missing.filter("libcuda.so.1"::equals).isPresent())
        return new Status("nccl", false, "no CUDA driver (libcuda.so.1 not found): NCCL runs only with an NVIDIA GPU and driver");
      if (missing.isPresent())
        return new Status("nccl", false, missing.get() + " could not be loaded (" + innermost(e) + "); NCCL needs the CUDA 13 runtime and " + NCCL_HINT);
      return new Status("nccl", false, "the NCCL preset did not load: " + innermost(e) + "; " + NCCL_HINT);
    }
  }

  /** NCCL's version code as "2.27.8" (major*10000 + minor*100 + patch since 2.9; major*1000 + minor*100 + patch before). */
  static String ncclVersion(int code) {
    if (code >= 10000) return (code / 10000) + "." + (code / 100 % 100) + "." + (code % 100);
    return (code / 1000) + "." + (code / 100 % 10) + "." + (code % 100);
  }

  /** Where this process mapped a library (from /proc/self/maps), if it did. */
  static Optional<String> mappedPath(String soname) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
        int slash = line.indexOf('/');
        if (slash >= 0 && line.endsWith("/" + soname)) return Optional.of(line.substring(slash));
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or /proc unreadable: no path to show
    }
    return Optional.empty();
  }

  /** Where the dynamic loader would find {@code soname}: java.library.path, LD_LIBRARY_PATH, then {@code ldconfig -p}. */
  static Optional<String> findLibrary(String soname) {
    for (String prop : new String[] {System.getProperty("java.library.path"), System.getenv("LD_LIBRARY_PATH")}) {
      if (prop == null) continue;
      for (String dir : prop.split(java.io.File.pathSeparator))
        if (!dir.isBlank() && Files.exists(Path.of(dir, soname))) return Optional.of(Path.of(dir, soname).toString());
    }
    for (String exe : new String[] {"/sbin/ldconfig", "/usr/sbin/ldconfig"}) {
      if (!Files.isExecutable(Path.of(exe))) continue;
      try {
        Process pr = new ProcessBuilder(exe, "-p").redirectErrorStream(true).start();
        String out = new String(pr.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        pr.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
        for (String line : out.split("\n")) {
          String t = line.trim();
          if (t.startsWith(soname + " ") && t.contains("=>")) return Optional.of(t.substring(t.indexOf("=>") + 2).trim());
        }
        return Optional.empty();
      } catch (IOException e) {
        // try the next location
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** The soname the dynamic loader could not open, from the innermost such message in t's cause chain. */
  static Optional<String> unopened(Throwable t) {
    String found = null;
    for (Throwable x = t; x != null; x = x.getCause() == x ? null : x.getCause()) {
      if (x.getMessage() == null) continue;
      Matcher m = CANNOT_OPEN.matcher(x.getMessage());
      if (m.find()) found = m.group(1);
    }
    return Optional.ofNullable(found);
  }

  private static String innermost(Throwable t) {
    Throwable x = t;
    while (x.getCause() != null && x.getCause() != x) x = x.getCause();
    return x.getClass().getSimpleName() + (x.getMessage() == null ? "" : ": " + x.getMessage());
  }
}
