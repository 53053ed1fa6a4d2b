package dev.jnn.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.backend.Backend;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every kernel of the Backend SPI has a CUDA implementation: a jnn_cuda_ function of jnn's own
 * kernels, or one of an explicit list of library-backed kernels (cuBLAS, cuDNN). A kernel added
 * to Backend without a CUDA kernel fails here. Also checks that the binding (JnnCuda) and the C
 * header (jnn_cuda.h) declare the same functions. Pure reflection and text: needs no GPU and does
 * not load the native library.
 */
class JnnCudaCoverageTest {

  /** Kernels CudaBackend runs through NVIDIA libraries from Java (cuBLAS GEMM and strided-batched GEMM, cuDNN conv / batch norm / RNN). */
  static final Set<String> LIBRARY_BACKED = Set.of(
      "gemm", "gemm_batched",
      "conv2d_forward", "conv2d_backward_data", "conv2d_backward_filter",
      "batchnorm_forward_training", "batchnorm_forward_inference", "batchnorm_backward",
      "lstm_forward", "lstm_backward", "gru_forward", "gru_backward");

  /** jnn_cuda_ kernels that implement no Backend kernel themselves: helpers of the library-backed ones. */
  static final Set<String> GLUE = Set.of("bias_add", "reverse_time");

  /** Library functions of jnn_cuda.h (not kernels). */
  static final Set<String> LIBRARY_FUNCTIONS = Set.of("compiled", "build_info", "runtime_version", "error_string", "kernel_launches");

  /** Backend's protected abstract kernels, named as the native kernels (add_ is add). */
  static Set<String> backendKernels() {
    Set<String> names = new TreeSet<>();
    for (Method m : Backend.class.getDeclaredMethods()) {
      int mod = m.getModifiers();
      if (Modifier.isProtected(mod) && Modifier.isAbstract(mod)) names.add(m.getName().endsWith("_") ? m.getName().substring(0, m.getName().length() - 1) : m.getName());
    }
    return names;
  }

  /** The jnn_cuda_ native methods of JnnCuda, without the prefix. */
  static Set<String> bindingFunctions() {
    Set<String> names = new TreeSet<>();
    for (Method m : JnnCuda.class.getDeclaredMethods())
      if (Modifier.isNative(m.getModifiers()) && m.getName().startsWith("jnn_cuda_")) names.add(m.getName().substring("jnn_cuda_".length()));
    return names;
  }

  /** The jnn_cuda_ functions declared in native/include/jnn/jnn_cuda.h, without the prefix. */
  static Set<String> headerFunctions() throws IOException {
    String h = Files.readString(Path.of("native/include/jnn/jnn_cuda.h")).replaceAll("(?s)/\\*.*?\\*/", "");
    Set<String> names = new TreeSet<>();
    Matcher m = Pattern.compile("\\bjnn_cuda_(\\w+)\\s*\\(").matcher(h);
    while (m.find()) names.add(m.group(1));
    return names;
  }

  @Test
  void everyBackendKernelHasACudaKernelOrIsLibraryBacked() {
    Set<String> kernels = backendKernels();
    assertTrue(kernels.size() > 50, "found only " + kernels.size() + " Backend kernels: " + kernels);
    Set<String> cuda = bindingFunctions();
    Set<String> missing = new TreeSet<>();
    for (String k : kernels) if (!cuda.contains(k) && !LIBRARY_BACKED.contains(k)) missing.add(k);
    assertEquals(Set.of(), missing, "Backend kernels with neither a jnn_cuda_ kernel nor a library-backed CUDA path");
    Set<String> both = new TreeSet<>(LIBRARY_BACKED);
    both.retainAll(cuda);
    assertEquals(Set.of(), both, "kernels listed as library-backed but also implemented in jnn_cuda");
    Set<String> staleLibrary = new TreeSet<>(LIBRARY_BACKED);
    staleLibrary.removeAll(kernels);
    assertEquals(Set.of(), staleLibrary, "library-backed kernels that Backend no longer has");
  }

  @Test
  void everyCudaKernelImplementsABackendKernelOrIsGlue() {
    Set<String> extra = new TreeSet<>(bindingFunctions());
    extra.removeAll(backendKernels());
    extra.removeAll(GLUE);
    extra.removeAll(LIBRARY_FUNCTIONS);
    assertEquals(Set.of(), extra, "jnn_cuda_ functions that match no Backend kernel (a typo in a kernel name?)");
  }

  @Test
  @org.junit.jupiter.api.Tag("build-tree")   // reads native/include: not in the offline bundle (bin/test excludes the tag)
  void bindingDeclaresExactlyTheHeaderFunctions() throws IOException {
    Set<String> header = headerFunctions();
    assertEquals(50 + LIBRARY_FUNCTIONS.size(), header.size(), "jnn_cuda.h functions: " + header);
    assertEquals(header, bindingFunctions(), "JnnCuda and jnn_cuda.h disagree");
  }

  /** The constants JnnCuda mirrors from jnn_cuda.h (a scratch size computed in Java from a stale copy would overflow on the device). */
  @Test
  @org.junit.jupiter.api.Tag("build-tree")   // reads native/include: not in the offline bundle (bin/test excludes the tag)
  void mirroredConstantsMatchTheHeader() throws IOException {
    String h = Files.readString(Path.of("native/include/jnn/jnn_cuda.h"));
    for (String[] c : new String[][] {{"JNN_CUDA_ERR_NOT_COMPILED", String.valueOf(JnnCuda.JNN_CUDA_ERR_NOT_COMPILED)},
        {"JNN_CUDA_LAYERNORM_CHUNKS", String.valueOf(JnnCuda.JNN_CUDA_LAYERNORM_CHUNKS)}}) {
      Matcher m = Pattern.compile("#define\\s+" + c[0] + "\\s+(\\d+)").matcher(h);
      assertTrue(m.find(), "jnn_cuda.h defines no " + c[0]);
      assertEquals(m.group(1), c[1], c[0] + " in jnn_cuda.h vs JnnCuda");
    }
  }
}
