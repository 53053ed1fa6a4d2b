package dev.jnn.backend.cuda;

import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import org.bytedeco.javacpp.Loader;

/**
 * The steps of {@link CudaRuntime#probe()}. Each library loads in its own try/catch; when one does
 * not, the reason comes from the innermost cause ("libcuda.so.1: cannot open shared object file")
 * and from a search for the sonames the preset's JNI glue needs, never from JavaCPP's outer
 * "no jnicudnn in java.library.path". Package-private so tests can run the message helpers.
 */
final class CudaProbe {
  private CudaProbe() {}

  /** The driver library libjnicudart.so links (it comes with the NVIDIA driver, not the toolkit). */
  static final List<String> DRIVER = List.of("libcuda.so.1");
  static final List<String> CUDART = List.of("libcudart.so.13");
  /** What libjnicublas.so links. */
  static final List<String> CUBLAS = List.of("libcublas.so.13", "libcublasLt.so.13");
  /** libcudnn.so.9 and the sub-libraries the preset preloads (libjnicudnn.so links graph, ops, cnn, adv). */
  static final List<String> CUDNN = List.of("libcudnn.so.9", "libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9",
      "libcudnn_adv.so.9", "libcudnn_engines_precompiled.so.9", "libcudnn_heuristic.so.9");

  static final String HINT_DRIVER = "install the NVIDIA driver (it provides libcuda.so.1) or run on a machine with an NVIDIA GPU";
  /** CUDA 13's pip wheels (nvidia-cuda-runtime, nvidia-cublas, ...) install into site-packages/nvidia/cu13/lib; cuDNN's (nvidia-cudnn-cu13) into nvidia/cudnn/lib. */
  static final String HINT_CUDART = "install the CUDA 13 runtime or add its lib directory (/usr/local/cuda/lib64, or PyTorch's site-packages/nvidia/cu13/lib) "
      + "to LD_LIBRARY_PATH";
  static final String HINT_CUBLAS = "install cuBLAS 13 (CUDA toolkit 13) or add PyTorch's site-packages/nvidia/cu13/lib (pip package nvidia-cublas 13.x) "
      + "to LD_LIBRARY_PATH";
  static final String HINT_CUDNN = "install cuDNN 9 for CUDA 13 or add PyTorch's site-packages/nvidia/cudnn/lib (pip package nvidia-cudnn-cu13) "
      + "to LD_LIBRARY_PATH";
  /** Prefix of the detail lines that are warnings (versions that load but differ from what the bindings were built against). */
  static final String WARNING = "warning: ";

  /** Prefix of the detail lines that are problems (one per problem of the reason). */
  static final String PROBLEM = "problem: ";

  static final String JNN_CUDA_CLASS = "dev.jnn.backend.cuda.JnnCuda";
  /** cublasGetProperty's libraryPropertyType values. */
  private static final int MAJOR_VERSION = 0, MINOR_VERSION = 1, PATCH_LEVEL = 2;

  /** "cuDNN: libcudnn.so.9 not found (searched: ...); install cuDNN 9 or ...". */
  static String notFound(String component, List<String> missing, String hint) {
    return component + ": " + String.join(", ", missing) + " not found (" + LibrarySearch.SEARCHED + "); " + hint;
  }

  /** The reason when libcuda.so.1 is missing. */
  static String noDriver() {
    return "no CUDA driver (libcuda.so.1 not found, " + LibrarySearch.SEARCHED + "); " + HINT_DRIVER;
  }

  /**
   * The missing sonames to name: the main library alone when it is missing (its sub-libraries
   * come with it), else the missing sub-libraries.
   */
  static List<String> toName(List<String> sonames, List<String> missing) {
    if (missing.isEmpty()) return missing;
    return missing.contains(sonames.get(0)) ? List.of(sonames.get(0)) : missing;
  }

  static CudaRuntime.Probe run() {
    try {
      return probe(LibrarySearch.system());
    } catch (LinkageError | RuntimeException e) {
      return new CudaRuntime.Probe(false, "CUDA probe failed unexpectedly: " + LibrarySearch.innermost(e), 0,
          "none", "none", "none", "none", List.of("probe: " + e));
    }
  }

  private static CudaRuntime.Probe probe(LibrarySearch search) {
    List<String> details = new ArrayList<>();
    LinkedHashSet<String> problems = new LinkedHashSet<>();
    boolean driverUsable = true;
    details.add("libraries: " + search.describe(concat(DRIVER, CUDART, CUBLAS, CUDNN)));

    // 1. the CUDA runtime preset (its JNI glue links libcuda.so.1 and libcudart.so.13), then the
    //    driver and runtime versions through it
    int driverV = -1, runtimeV = -1, cublasV = -1;
    long cudnnV = -1, cudnnCudartV = -1;
    List<String> warnings = new ArrayList<>();
    Throwable cudartError = load("org.bytedeco.cuda.global.cudart");
    boolean cudart = cudartError == null;
    if (cudart) {
      details.add("cudart preset: loaded");
      try {
        int[] v = new int[1];
        int s = org.bytedeco.cuda.global.cudart.cudaDriverGetVersion(v);
        driverV = s == 0 ? v[0] : 0;
        s = org.bytedeco.cuda.global.cudart.cudaRuntimeGetVersion(v);
        runtimeV = s == 0 ? v[0] : 0;
      } catch (LinkageError | RuntimeException e) {
        problems.add("CUDA version query failed: " + LibrarySearch.innermost(e));
      }
      Optional<String> driverFile = search.find("libcuda.so.1");
      if (driverV == 0 && driverFile.isPresent()) {
        // libcuda.so.1 is there but is no working driver (a stub, or a driver/toolkit mismatch)
        problems.add("no usable CUDA driver: cudaDriverGetVersion gives 0 although libcuda.so.1 loads from "
            + driverFile.get() + " (a stub or broken driver install?); " + HINT_DRIVER);
        driverV = -1;
        driverUsable = false;
      }
      problems.addAll(CudaVersions.check(driverV, runtimeV, -1, -1));
    } else {
      details.add("cudart preset: failed: " + LibrarySearch.innermost(cudartError));
      List<String> missing = search.missing(concat(DRIVER, CUDART));
      Optional<String> unopened = LibrarySearch.unopenedLibrary(cudartError);
      if (missing.contains("libcuda.so.1") || unopened.filter("libcuda.so.1"::equals).isPresent()) problems.add(noDriver());
      if (missing.contains("libcudart.so.13") || unopened.filter("libcudart.so.13"::equals).isPresent())
        problems.add(notFound("CUDA runtime", List.of("libcudart.so.13"), HINT_CUDART));
      if (problems.isEmpty()) problems.add("CUDA runtime preset did not load: " + LibrarySearch.innermost(cudartError));
    }

    // 2. cuBLAS (inherits the runtime preset), then cuDNN (inherits cuBLAS): each named by what is
    //    missing even when what it depends on failed first
    boolean cublas = library("cuBLAS", "org.bytedeco.cuda.global.cublas", CUBLAS, HINT_CUBLAS,
        cudart ? null : "the CUDA runtime preset", search, details, problems);
    if (cublas) {
      try {
        int[] major = new int[1], minor = new int[1], patch = new int[1];
        org.bytedeco.cuda.global.cublas.cublasGetProperty(MAJOR_VERSION, major);
        org.bytedeco.cuda.global.cublas.cublasGetProperty(MINOR_VERSION, minor);
        org.bytedeco.cuda.global.cublas.cublasGetProperty(PATCH_LEVEL, patch);
        cublasV = major[0] * 10000 + minor[0] * 100 + patch[0];
      } catch (LinkageError | RuntimeException e) {
        problems.add("cuBLAS version query failed: " + LibrarySearch.innermost(e));
      }
      problems.addAll(CudaVersions.check(-1, -1, cublasV, -1));
    }
    boolean cudnn = library("cuDNN", "org.bytedeco.cuda.global.cudnn", CUDNN, HINT_CUDNN,
        !cudart ? "the CUDA runtime preset" : !cublas ? "the cuBLAS preset" : null, search, details, problems);
    if (cudnn) {
      try {
        cudnnV = org.bytedeco.cuda.global.cudnn.cudnnGetVersion();
        cudnnCudartV = org.bytedeco.cuda.global.cudnn.cudnnGetCudartVersion();
      } catch (LinkageError | RuntimeException e) {
        problems.add("cuDNN version query failed: " + LibrarySearch.innermost(e));
      }
      problems.addAll(CudaVersions.check(-1, -1, -1, cudnnV));
      problems.addAll(CudaVersions.checkCudnnCuda(cudnnCudartV));
      warnings.addAll(CudaVersions.warnings(cudnnV));
    }
    String driver = problems.contains(noDriver()) || !driverUsable ? "none" : CudaVersions.cuda(driverV);
    details.add("versions: driver " + driver + ", runtime " + CudaVersions.cuda(runtimeV)
        + ", cuBLAS " + CudaVersions.cublas(cublasV) + ", cuDNN " + CudaVersions.cudnn(cudnnV)
        + (cudnnCudartV > 0 ? " built for CUDA " + CudaVersions.cuda((int) cudnnCudartV) : "")
        + "; the preset was built against cuDNN " + CudaVersions.cudnn(CudaVersions.PRESET_CUDNN) + " (need driver/runtime >= " + CudaVersions.cuda(CudaVersions.MIN_DRIVER) + ", cuBLAS >= "
        + CudaVersions.cublas(CudaVersions.MIN_CUBLAS) + ", cuDNN >= " + CudaVersions.cudnn(CudaVersions.MIN_CUDNN) + ")");

    // 4. devices
    int devices = 0;
    if (cudart && driverUsable && driverV > 0) {
      try {
        int[] n = new int[1];
        int s = org.bytedeco.cuda.global.cudart.cudaGetDeviceCount(n);
        if (s != 0) {
          problems.add("cudaGetDeviceCount failed: " + org.bytedeco.cuda.global.cudart.cudaGetErrorName(s).getString() + ": "
              + org.bytedeco.cuda.global.cudart.cudaGetErrorString(s).getString());
          org.bytedeco.cuda.global.cudart.cudaGetLastError();
        } else {
          devices = n[0];
          if (devices == 0) problems.add("no CUDA device visible (CUDA_VISIBLE_DEVICES=" + System.getenv("CUDA_VISIBLE_DEVICES") + ")");
        }
        details.add("devices: " + devices);
      } catch (LinkageError | RuntimeException e) {
        problems.add("cudaGetDeviceCount failed: " + LibrarySearch.innermost(e));
      }
    }

    // 5. our own kernels
    jnnCuda(cudart, details, problems);
    if (!cudart || !cublas || !cudnn)
      details.add("to see JavaCPP's own library search, run with -Dorg.bytedeco.javacpp.logger.debug=true");

    String reason = String.join("; ", problems);
    // the problems one per line first (the reason joins them with "; ", which messages also contain)
    List<String> lines = new ArrayList<>();
    for (String problem : problems) lines.add(PROBLEM + problem);
    for (String warning : warnings) lines.add(WARNING + warning);
    lines.addAll(details);
    return new CudaRuntime.Probe(problems.isEmpty() && devices > 0, reason, devices,
        driver, CudaVersions.cuda(runtimeV), CudaVersions.cublas(cublasV), CudaVersions.cudnn(cudnnV), lines);
  }

  /**
   * Loads one preset; says which soname is missing when it cannot. Returns whether it loaded.
   *
   * @param blockedBy the preset it inherits that already failed (loading would only repeat that
   *     failure), or null to try
   */
  private static boolean library(String component, String presetClass, List<String> sonames, String hint, String blockedBy,
                                 LibrarySearch search, List<String> details, LinkedHashSet<String> problems) {
    List<String> missing = search.missing(sonames);
    if (blockedBy != null) {
      details.add(component + " preset: not loaded (needs " + blockedBy + " first)");
      if (!missing.isEmpty()) problems.add(notFound(component, toName(sonames, missing), hint));
      return false;
    }
    Throwable e = load(presetClass);
    if (e == null) {
      details.add(component + " preset: loaded");
      return true;
    }
    details.add(component + " preset: failed: " + LibrarySearch.innermost(e));
    Optional<String> unopened = LibrarySearch.unopenedLibrary(e);
    if (!missing.isEmpty()) problems.add(notFound(component, toName(sonames, missing), hint));
    else if (unopened.isPresent()) problems.add(notFound(component, List.of(unopened.get()), hint));
    else problems.add(component + ": preset did not load: " + LibrarySearch.innermost(e));
    return false;
  }

  /** libjnn_cuda through JnnCuda (reflectively: the class is another helper's and may be absent). */
  private static void jnnCuda(boolean cudart, List<String> details, LinkedHashSet<String> problems) {
    Class<?> c;
    try {
      c = Class.forName(JNN_CUDA_CLASS, false, CudaProbe.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      problems.add("jnn_cuda not built (class " + JNN_CUDA_CLASS + " absent)");
      return;
    }
    if (!cudart) {
      details.add("jnn_cuda: not loaded (libjnn_cuda needs the CUDA runtime)");
      return;
    }
    try {
      Class.forName(JNN_CUDA_CLASS, true, c.getClassLoader());
      int compiled = (Integer) c.getMethod("jnn_cuda_compiled").invoke(null);
      Object info = c.getMethod("jnn_cuda_build_info").invoke(null);
      String buildInfo = String.valueOf(info instanceof org.bytedeco.javacpp.BytePointer b ? b.getString() : info);
      details.add(buildInfo.startsWith("jnn_cuda") ? buildInfo : "jnn_cuda: " + buildInfo);
      if (compiled == 0) problems.add("jnn_cuda " + buildInfo);
    } catch (InvocationTargetException e) {
      problems.add("jnn_cuda did not load: " + LibrarySearch.innermost(e.getCause() == null ? e : e.getCause()));
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      problems.add("jnn_cuda did not load: " + LibrarySearch.innermost(e));
    }
  }

  /** Initializes a preset class (its static block loads the JNI glue); the failure, or null. */
  private static Throwable load(String presetClass) {
    try {
      Loader.load(Class.forName(presetClass));
      return null;
    } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
      return e;
    }
  }

  @SafeVarargs
  private static List<String> concat(List<String>... lists) {
    List<String> out = new ArrayList<>();
    for (List<String> l : lists) out.addAll(l);
    return out;
  }
}
